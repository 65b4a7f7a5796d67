/**
 * The tests' loopback Debian mirror (the network rule: no test reaches the real one). It serves
 * the real packages scripts/test-debs.sh put into BERTH_TEST_DEBS (the cloud kernel metapackage,
 * the versioned kernel it depends on, user-mode-linux, and the packages of `debian:SUITE/minbase`
 * under minbase/) under dists/SUITE (the host's suite),
 * with an InRelease clearsigned by a throwaway key; berth verifies InRelease -> Packages -> .deb
 * as it does against any mirror. scripts/test.mjs starts one for the whole run and hands
 * BERTH_DEBIAN_MIRROR and BERTH_DEBIAN_KEYRING to every test process (the runners pass them on).
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { hostDebianSuite } from '../../src/images/debian/apt-sources.js';
import { makeGpgKey, serveDir, sha256, type GpgKey } from '../integration/images/mini-mirror.js';
import { requireThat } from './requirements.js';

export const TEST_DEBS = process.env.BERTH_TEST_DEBS || '/var/cache/berth-test-debs';
const WANTED = [/^linux-image-cloud-amd64_/, /^linux-image-[0-9][^_]*-cloud-amd64_/, /^user-mode-linux_/];

/** Why a test that fetches a kernel cannot run here, or undefined when the mirror is set. */
export function testMirrorMissing(): string | undefined {
  return process.env.BERTH_DEBIAN_MIRROR
    ? undefined
    : 'BERTH_DEBIAN_MIRROR (the loopback Debian mirror): run the tests through scripts/test.mjs (npm test), which serves one';
}

/** The .debs the mirror serves (newest of each), or a sentence naming what is missing. */
export function testDebs(dir = TEST_DEBS): string[] | string {
  const names = (() => {
    try {
      return readdirSync(dir);
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
  if (found.some((f) => !f)) return `the kernel .debs in ${dir} (as root: scripts/test-debs.sh)`;
  const minbase = join(dir, 'minbase');
  if (!existsSync(join(minbase, '.complete')))
    return `the minbase packages in ${minbase} (as root: scripts/test-debs.sh)`;
  const image = readdirSync(minbase)
    .filter((n) => n.endsWith('.deb'))
    .map((n) => join(minbase, n));
  return [...found.map((f) => join(dir, f!)), ...image];
}

function control(deb: string): string {
  const r = spawnSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-deb -f ${deb}: ${r.stderr}`);
  return r.stdout.trimEnd();
}

/** Lay out dists/SUITE (InRelease signed by `key`, main/binary-amd64/Packages) and pool/ under dir. */
export async function writeSignedMirror(dir: string, debs: string[], key: GpgKey, suite: string): Promise<void> {
  mkdirSync(join(dir, 'pool/main'), { recursive: true });
  let packages = '';
  for (const deb of debs) {
    const bytes = readFileSync(deb);
    // apt's cache names carry the epoch as %3a; the pool's names leave it out, as Debian's do.
    const rel = `pool/main/${basename(deb).replace(/_[0-9]+%3a/, '_')}`;
    symlinkSync(deb, join(dir, rel));
    packages += `${control(deb)}\nFilename: ${rel}\nSize: ${bytes.length}\nSHA256: ${sha256(bytes)}\n\n`;
  }
  const plain = Buffer.from(packages);
  const release =
    `Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: ${suite}\nDate: ${new Date().toUTCString()}\n` +
    `Architectures: amd64\nComponents: main\nSHA256:\n ${sha256(plain)} ${plain.length} main/binary-amd64/Packages\n`;
  mkdirSync(join(dir, `dists/${suite}/main/binary-amd64`), { recursive: true });
  writeFileSync(join(dir, `dists/${suite}/main/binary-amd64/Packages`), plain);
  writeFileSync(join(dir, `dists/${suite}/InRelease`), await key.clearsign(release));
}

export interface TestMirror {
  /** BERTH_DEBIAN_MIRROR and BERTH_DEBIAN_KEYRING for berth. */
  env: { BERTH_DEBIAN_MIRROR: string; BERTH_DEBIAN_KEYRING: string };
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

/** Start the mirror on 127.0.0.1 (a free port); a sentence instead when the .debs are missing. */
export async function startTestMirror(debsDir = TEST_DEBS): Promise<TestMirror | string> {
  const debs = testDebs(debsDir);
  if (typeof debs === 'string') return debs;
  const suite = (await hostDebianSuite()) ?? 'bookworm';
  const work = mkdtempSync(join(tmpdir(), 'berth-test-mirror-'));
  chmodSync(work, 0o755); // the test user's berth reads the keyring
  const key = await makeGpgKey(join(work, 'key'), 'berth test mirror <mirror@berth.invalid>');
  chmodSync(join(work, 'key'), 0o755);
  chmodSync(key.keyring, 0o644);
  const root = join(work, 'debian'); // served alone: not the key's directory
  await writeSignedMirror(root, debs, key, suite);
  const server = await serveDir(root);
  return {
    env: { BERTH_DEBIAN_MIRROR: server.base, BERTH_DEBIAN_KEYRING: key.keyring },
    requests: server.requests,
    async close() {
      await server.close();
      await key.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** For a test that fetches a VM kernel: proceed only with the loopback mirror (CI=true: fail without). */
export function requireTestMirror(t: TestContext): boolean {
  const why = testMirrorMissing();
  return requireThat(t, !why, why ?? '');
}

/** For a before() hook that fetches a VM kernel: throw, naming scripts/test.mjs, without the mirror. */
export function assertTestMirror(): void {
  const why = testMirrorMissing();
  if (why) throw new Error(`this test fetches a VM kernel and needs ${why}`);
}
