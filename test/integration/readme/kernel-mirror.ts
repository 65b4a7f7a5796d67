/**
 * Puts the uml and microvm kernels into a BERTH_ROOT's kernel cache through berth's own verified
 * chain (gpgv InRelease -> Packages SHA256 -> .deb SHA256), from a signed mini Debian mirror on
 * 127.0.0.1 that serves the kernel .debs of scripts/test-debs.sh (test/helpers/test-mirror.ts).
 * So VM commands run without reaching the real mirror (the kernels CLI test covers that path).
 */
import { join } from 'node:path';
import { makeGpgKey, serveDir } from '../images/mini-mirror.js';
import { testDebs, writeSignedMirror } from '../../helpers/test-mirror.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { findManifest } from '../../../src/kernels/manifest.js';
import { installKernel } from '../../../src/kernels/fetch.js';

/** The .debs the mirror needs, or a sentence naming what is missing. */
export const kernelDebs = (): string[] | string => testDebs();

export async function seedKernels(berthRoot: string, work: string, debs: string[]): Promise<void> {
  const dir = join(work, 'kernel-mirror');
  const key = await makeGpgKey(join(work, 'kernel-key'), 'berth README test <readme@invalid>');
  await writeSignedMirror(dir, debs, key, 'bookworm');
  const server = await serveDir(dir);
  try {
    const sources = [
      {
        types: ['deb'],
        uris: [server.base],
        suites: ['bookworm'],
        components: ['main'],
        enabled: true,
        origin: 'readme-test',
        signedBy: [key.keyring],
      },
    ];
    const paths = resolvePaths({ BERTH_ROOT: berthRoot });
    for (const name of ['uml', 'microvm']) {
      await installKernel(paths, findManifest(name)!, { fetch: { sources, suite: 'bookworm', arch: 'amd64' } });
    }
  } finally {
    await server.close();
    await key.close();
  }
}
