/**
 * Puts the uml and microvm kernels into a BERTH_ROOT's kernel cache through berth's own verified
 * chain (gpgv InRelease -> Packages SHA256 -> .deb SHA256), from a signed mini Debian mirror on
 * 127.0.0.1 that serves the kernel .debs apt left in /var/cache/apt/archives. So VM commands run
 * without reaching the real mirror (the kernels CLI test covers that path).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeGpgKey, serveDir, sha256 } from '../images/mini-mirror.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { findManifest } from '../../../src/kernels/manifest.js';
import { installKernel } from '../../../src/kernels/fetch.js';

const APT_CACHE = '/var/cache/apt/archives';
const WANTED = [/^linux-image-cloud-amd64_/, /^linux-image-[0-9][^_]*-cloud-amd64_/, /^user-mode-linux_/];

/** The cached .debs the mirror needs, or a sentence naming what is missing. */
export function kernelDebs(): string[] | string {
  const names = (() => {
    try {
      return readdirSync(APT_CACHE);
    } catch {
      return [];
    }
  })();
  const found = WANTED.map((re) =>
    names
      .filter((n) => re.test(n) && n.endsWith('_amd64.deb'))
      .sort()
      .at(-1),
  );
  if (found.some((f) => !f))
    return `the kernel .debs in ${APT_CACHE} (apt-get install --download-only linux-image-cloud-amd64 user-mode-linux)`;
  return found.map((f) => join(APT_CACHE, f!));
}

function control(deb: string): string {
  const r = spawnSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-deb -f ${deb}: ${r.stderr}`);
  return r.stdout.trimEnd();
}

export async function seedKernels(berthRoot: string, work: string, debs: string[]): Promise<void> {
  const dir = join(work, 'kernel-mirror');
  const key = await makeGpgKey(join(work, 'kernel-key'), 'berth README test <readme@invalid>');
  let packages = '';
  for (const deb of debs) {
    const bytes = readFileSync(deb);
    const rel = `pool/main/${deb.split('/').at(-1)}`;
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), bytes);
    packages += `${control(deb)}\nFilename: ${rel}\nSize: ${bytes.length}\nSHA256: ${sha256(bytes)}\n\n`;
  }
  const plain = Buffer.from(packages);
  const release = `Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nDate: ${new Date().toUTCString()}\nArchitectures: amd64\nComponents: main\nSHA256:\n ${sha256(plain)} ${plain.length} main/binary-amd64/Packages\n`;
  await mkdir(join(dir, 'dists/bookworm/main/binary-amd64'), { recursive: true });
  await writeFile(join(dir, 'dists/bookworm/main/binary-amd64/Packages'), plain);
  await writeFile(join(dir, 'dists/bookworm/InRelease'), await key.clearsign(release));
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
