/**
 * Test helpers: a throwaway GPG key, a mini Debian mirror on disk, and a static HTTP server
 * on 127.0.0.1 for it. Nothing here talks to any other host.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { chmod, copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';

/** True when `tool` is on PATH. Missing under CI=true is a failure, not a skip. */
export async function haveTool(tool: string): Promise<boolean> {
  const found = (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0;
  if (!found && process.env.CI === 'true')
    throw new Error(`${tool} is required for this test under CI (apt-get install ${tool})`);
  return found;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface GpgKey {
  home: string;
  keyring: string;
  clearsign(text: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** A new ed25519 signing key in its own GNUPGHOME, exported as a binary keyring. */
export async function makeGpgKey(dir: string, uid: string): Promise<GpgKey> {
  const home = join(dir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  const env = { GNUPGHOME: home };
  await execa('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'], { env });
  const keyring = join(dir, 'keyring.gpg');
  // Binary output: execa must not strip a final 0x0a (that corrupted 1 key in ~256). The exported
  // keyring is checked against a signature of its own key before the tests use it.
  const clearsign = async (text: string) =>
    Buffer.from(
      (
        await execa('gpg', ['--batch', '--yes', '--local-user', uid, '--clearsign'], {
          env,
          input: text,
          encoding: 'buffer',
          stripFinalNewline: false,
        })
      ).stdout,
    );
  const exported = Buffer.from(
    (await execa('gpg', ['--batch', '--export', uid], { env, encoding: 'buffer', stripFinalNewline: false })).stdout,
  );
  await writeFile(keyring, exported);
  await writeFile(join(dir, 'probe.asc'), await clearsign('probe\n'));
  const check = await execa('gpgv', ['--homedir', home, '--keyring', keyring, join(dir, 'probe.asc')], {
    reject: false,
  });
  if (check.exitCode !== 0)
    throw new Error(`the exported test keyring does not verify its own signature: ${String(check.stderr)}`);
  return {
    home,
    keyring,
    clearsign,
    async close() {
      await execa('gpgconf', ['--kill', 'gpg-agent'], { env, reject: false });
    },
  };
}

export interface RealDeb {
  bytes: Buffer;
  version: string;
  arch: string;
  /** Where it came from, for test messages. */
  from: string;
}

/**
 * A real busybox-static .deb for `arch`: apt's cache if it has one, else one built with
 * dpkg-deb (xz-compressed, like the archive's) from the host's static busybox.
 */
export async function getBusyboxDeb(
  arch: string,
  workDir: string,
  cache = '/var/cache/apt/archives',
): Promise<RealDeb | undefined> {
  const cached = (await readdir(cache).catch(() => [] as string[])).find(
    (n) => n.startsWith('busybox-static_') && n.endsWith(`_${arch}.deb`),
  );
  if (cached) {
    const version = decodeURIComponent(cached.split('_')[1] ?? '1.0');
    return { bytes: await readFile(join(cache, cached)), version, arch, from: join(cache, cached) };
  }
  const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!bb || !(await haveTool('dpkg-deb'))) return undefined;
  const pkg = join(workDir, 'pkg');
  await mkdir(join(pkg, 'DEBIAN'), { recursive: true });
  await mkdir(join(pkg, 'bin'), { recursive: true });
  await copyFile(bb, join(pkg, 'bin/busybox'));
  await chmod(join(pkg, 'bin/busybox'), 0o755);
  const version = '1:1.0-berthtest';
  await writeFile(
    join(pkg, 'DEBIAN/control'),
    `Package: busybox-static\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: berth tests <t@invalid>\nDescription: test busybox\n`,
  );
  const out = join(workDir, 'busybox-static.deb');
  await execa('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', pkg, out]);
  return { bytes: await readFile(out), version, arch, from: `dpkg-deb from ${bb}` };
}

export interface MirrorSpec {
  /** Directory served as the mirror root. */
  dir: string;
  suite: string;
  arch: string;
  deb: RealDeb;
  key: GpgKey;
  origin?: string;
  /** Change the .deb after its hash went into Packages. */
  tamperDeb?: boolean;
  /** Serve a Packages.gz other than the one InRelease lists. */
  tamperIndex?: boolean;
  /** Edit InRelease after signing it. */
  tamperInRelease?: boolean;
  /** Sign with this key instead (not in the source's keyring). */
  signWith?: GpgKey;
}

/** Write dists/SUITE/InRelease, main/binary-ARCH/Packages.gz and the pool .deb under spec.dir. */
export async function writeMirror(spec: MirrorSpec): Promise<void> {
  const filename = `pool/main/b/busybox/busybox-static_${spec.deb.version.replace(/^\d+:/, '')}_${spec.arch}.deb`;
  const decoy = `Package: busybox\nVersion: 1:0.1\nArchitecture: ${spec.arch}\nFilename: pool/main/b/busybox/decoy.deb\nSize: 3\nSHA256: ${sha256(Buffer.from('abc'))}\n\n`;
  const packages =
    decoy +
    `Package: busybox-static\nSource: busybox\nVersion: ${spec.deb.version}\nArchitecture: ${spec.arch}\n` +
    `Description: Standalone rescue shell\n with tons of builtin utilities\nFilename: ${filename}\n` +
    `Size: ${spec.deb.bytes.length}\nSHA256: ${sha256(spec.deb.bytes)}\n\n`;
  const gz = gzipSync(Buffer.from(packages));
  const plain = Buffer.from(packages);
  // Like the real archive, also an .xz index (which berth prefers), when the host can make one.
  const xzRun = spec.tamperIndex
    ? undefined
    : await execa('xz', ['-c'], { input: plain, encoding: 'buffer', stripFinalNewline: false, reject: false });
  const xz = xzRun && xzRun.exitCode === 0 ? Buffer.from(xzRun.stdout) : undefined;
  const release =
    `Origin: ${spec.origin ?? 'Debian'}\nLabel: ${spec.origin ?? 'Debian'}\nSuite: stable\nCodename: ${spec.suite}\n` +
    `Date: ${new Date().toUTCString()}\nArchitectures: ${spec.arch}\nComponents: main\nSHA256:\n` +
    ` ${sha256(plain)} ${plain.length} main/binary-${spec.arch}/Packages\n` +
    ` ${sha256(gz)} ${gz.length} main/binary-${spec.arch}/Packages.gz\n` +
    (xz ? ` ${sha256(xz)} ${xz.length} main/binary-${spec.arch}/Packages.xz\n` : '');
  let inrelease = await (spec.signWith ?? spec.key).clearsign(release);
  if (spec.tamperInRelease)
    inrelease = Buffer.from(inrelease.toString('utf8').replace('Suite: stable', 'Suite: stabl3'));

  const put = async (rel: string, data: Buffer) => {
    await mkdir(dirname(join(spec.dir, rel)), { recursive: true });
    await writeFile(join(spec.dir, rel), data);
  };
  await put(`dists/${spec.suite}/InRelease`, inrelease);
  const servedGz = spec.tamperIndex ? gzipSync(Buffer.from(packages.replace('Standalone', 'Backdoored'))) : gz;
  await put(`dists/${spec.suite}/main/binary-${spec.arch}/Packages.gz`, servedGz);
  await put(`dists/${spec.suite}/main/binary-${spec.arch}/Packages`, plain);
  if (xz) await put(`dists/${spec.suite}/main/binary-${spec.arch}/Packages.xz`, xz);
  const deb = Buffer.from(spec.deb.bytes);
  if (spec.tamperDeb) deb[deb.length - 100] = (deb[deb.length - 100] ?? 0) ^ 0xff;
  await put(filename, deb);
}

export interface MirrorServer {
  base: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serve `root` read-only on 127.0.0.1 (random port). */
export async function serveDir(root: string): Promise<MirrorServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(path);
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    readFile(file).then(
      (data) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
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
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
