/**
 * A loopback Debian mirror serving a small fake `user-mode-linux` package (a 3 MB "kernel" and
 * one module tree), signed with a throwaway key: the kernel fetch path without the outside.
 * `hold` makes the server send half of the .deb and then wait (a fetch to kill mid-way).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { makeGpgKey, type GpgKey } from '../images/mini-mirror.js';

export const SUITE = 'bookworm';
export const ARCH = 'amd64';
export const VERSION = '6.1um9+berthtest';
const DEB_PATH = 'pool/main/u/user-mode-linux/user-mode-linux_6.1um9+berthtest_amd64.deb';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface KernelMirror {
  base: string;
  key: GpgKey;
  debSize: number;
  /** Requests for the .deb so far. */
  debRequests(): number;
  /** Serve half of the .deb, then hold the connection until release(). */
  hold(on: boolean): void;
  /** Resolves once a held response has sent its first half. */
  halfSent(): Promise<void>;
  close(): Promise<void>;
}

async function buildDeb(work: string): Promise<Buffer> {
  const pkg = join(work, 'pkg');
  await mkdir(join(pkg, 'DEBIAN'), { recursive: true });
  await mkdir(join(pkg, 'usr/bin'), { recursive: true });
  await mkdir(join(pkg, 'usr/lib/uml/modules/6.1.0-berthtest/kernel'), { recursive: true });
  await writeFile(join(pkg, 'usr/bin/linux.uml'), randomBytes(3 * 1024 * 1024), { mode: 0o755 });
  await writeFile(join(pkg, 'usr/lib/uml/modules/6.1.0-berthtest/kernel/dummy.ko'), 'not a module\n');
  await writeFile(
    join(pkg, 'DEBIAN/control'),
    `Package: user-mode-linux\nVersion: ${VERSION}\nArchitecture: ${ARCH}\nMaintainer: berth tests <t@invalid>\nDescription: test uml\n`,
  );
  const out = join(work, 'uml.deb');
  await execa('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', pkg, out]);
  return readFile(out);
}

export async function startKernelMirror(work: string): Promise<KernelMirror> {
  const root = join(work, 'mirror');
  const key = await makeGpgKey(work, 'berth kernel test <kernel@berth.invalid>');
  const deb = await buildDeb(work);
  const packages = Buffer.from(
    `Package: user-mode-linux\nVersion: ${VERSION}\nArchitecture: ${ARCH}\nFilename: ${DEB_PATH}\nSize: ${deb.length}\nSHA256: ${sha256(deb)}\nDescription: test uml\n\n`,
  );
  const gz = gzipSync(packages);
  const release =
    `Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: ${SUITE}\nDate: ${new Date().toUTCString()}\nArchitectures: ${ARCH}\nComponents: main\nSHA256:\n` +
    ` ${sha256(gz)} ${gz.length} main/binary-${ARCH}/Packages.gz\n`;
  const put = async (rel: string, data: Buffer) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), data);
  };
  await put(`dists/${SUITE}/InRelease`, await key.clearsign(release));
  await put(`dists/${SUITE}/main/binary-${ARCH}/Packages.gz`, gz);
  await put(DEB_PATH, deb);

  let debRequests = 0;
  let holding = false;
  let onHalf: (() => void) | undefined;
  const half = new Promise<void>((r) => (onHalf = r));
  const held: import('node:http').ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname).replace(/^\/debian\//, '');
    if (path === DEB_PATH) debRequests++;
    readFile(join(root, path.replace(/\.\.+/g, ''))).then(
      (data) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
        if (path === DEB_PATH && holding) {
          held.push(res);
          res.write(data.subarray(0, data.length >> 1), () => onHalf?.());
          return;
        }
        res.end(data);
      },
      () => {
        res.writeHead(404);
        res.end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/debian`,
    key,
    debSize: deb.length,
    debRequests: () => debRequests,
    hold: (on) => (holding = on),
    halfSent: () => half,
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await key.close();
    },
  };
}

/** The DebFetchOptions (as JSON) that point a fetch at the mirror. */
export function fetchOptions(m: KernelMirror): Record<string, unknown> {
  return {
    sources: [
      {
        types: ['deb'],
        uris: [m.base],
        suites: [SUITE],
        components: ['main'],
        enabled: true,
        origin: 'test',
        signedBy: [m.key.keyring],
      },
    ],
    suite: SUITE,
    arch: ARCH,
    timeoutMs: 20_000,
  };
}
