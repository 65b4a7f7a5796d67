/** Laying out the busybox rootfs in a fresh directory. */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { HostError } from '../../core/errors.js';

const DIRS: Array<[string, number]> = [
  ['bin', 0o755],
  ['sbin', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['etc', 0o755],
  ['proc', 0o555],
  ['sys', 0o555],
  ['dev', 0o755],
  ['run', 0o755],
  ['home', 0o755],
  ['mnt', 0o755],
  ['root', 0o700],
  ['tmp', 0o1777],
  ['var', 0o755],
  ['var/tmp', 0o1777],
];

/** Paths of the applets (`usr/bin/wc`, `bin/sh`, ...), from `busybox --list-full`. */
export async function listApplets(busybox: string): Promise<string[]> {
  const { execa } = await import('execa');
  const res = await execa(busybox, ['--list-full'], { reject: false, timeout: 30_000 });
  if (res.exitCode !== 0) {
    throw new HostError('busybox-unrunnable', `cannot run ${busybox} --list-full: ${res.stderr || res.shortMessage}`, {
      fix: 'the images directory must allow exec (not mounted noexec)',
    });
  }
  return String(res.stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** "1.35.0" from the banner the binary carries ("BusyBox v1.35.0 (...) multi-call binary"). */
export function busyboxVersion(bytes: Buffer): string {
  const at = bytes.indexOf('BusyBox v');
  if (at < 0) return 'unknown';
  const m = /^BusyBox v([0-9][0-9A-Za-z.+~_-]*)/.exec(bytes.toString('latin1', at, at + 64));
  return m?.[1] ?? 'unknown';
}

/** A safe relative applet path, or undefined for anything odd (absolute, '..', the binary itself). */
function appletPath(p: string): string | undefined {
  const n = normalize(p.replace(/^\/+/, ''));
  if (n === '' || n === '.' || n.startsWith('..') || n === 'bin/busybox') return undefined;
  return n;
}

/** Create the whole tree under `rootfs` (which must not exist yet). */
export async function assembleRootfs(rootfs: string, busybox: Buffer, version: string): Promise<void> {
  await mkdir(rootfs, { mode: 0o755 });
  await chmod(rootfs, 0o755);
  for (const [d, mode] of DIRS) {
    await mkdir(join(rootfs, d), { recursive: true });
    await chmod(join(rootfs, d), mode);
  }
  const bin = join(rootfs, 'bin/busybox');
  await writeFile(bin, busybox, { mode: 0o755 });
  await chmod(bin, 0o755);
  for (const raw of await listApplets(bin)) {
    const p = appletPath(raw);
    if (!p) continue;
    await mkdir(join(rootfs, dirname(p)), { recursive: true });
    const target = relative(dirname(p), 'bin/busybox') || 'busybox';
    await symlink(target, join(rootfs, p)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e; // an applet listed twice
    });
  }
  const etc = (name: string, text: string, mode = 0o644) => writeFile(join(rootfs, 'etc', name), text, { mode });
  await etc('passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await etc('group', 'root:x:0:\nnobody:x:65534:\n');
  await etc('hostname', '');
  await etc('hosts', '');
  await etc('resolv.conf', '');
  await etc(
    'os-release',
    `NAME="berth busybox"\nID=berth-busybox\nVERSION_ID="${version}"\nVERSION="BusyBox ${version}"\nPRETTY_NAME="berth busybox (BusyBox ${version})"\n`,
  );
}
