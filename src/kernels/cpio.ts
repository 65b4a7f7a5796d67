/**
 * A cpio "newc" (SVR4, magic 070701) archive writer, the format the Linux kernel unpacks an
 * initramfs from. Pure: entries in, bytes out. Parent directories are added automatically,
 * owners are root, times are 0, so the same input always gives the same bytes.
 */

export type CpioEntry =
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

export class CpioError extends Error {}

function cleanPath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) throw new CpioError(`bad archive path "${p}"`);
  return parts.join('/');
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CpioError(`value ${n} does not fit a newc header`);
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function record(
  ino: number,
  mode: number,
  nlink: number,
  name: string,
  data: Buffer,
  rdev: [number, number] = [0, 0],
): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const header = `070701${fields.map(hex8).join('')}`;
  const head = Buffer.concat([Buffer.from(header, 'latin1'), nameBuf, Buffer.alloc(pad4(110 + nameBuf.length))]);
  return data.length > 0 ? [head, data, Buffer.alloc(pad4(data.length))] : [head];
}

/** The archive bytes (uncompressed). Duplicate paths are an error; directories may repeat. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const out: Buffer[] = [];
  const seen = new Map<string, CpioEntry['type']>();
  let ino = 1;
  const dir = (path: string, mode = 0o755) => {
    const prev = seen.get(path);
    if (prev === 'dir') return;
    if (prev !== undefined) throw new CpioError(`"${path}" is both a directory and a ${prev}`);
    seen.set(path, 'dir');
    out.push(...record(ino++, S_IFDIR | (mode & 0o7777), 2, path, Buffer.alloc(0)));
  };
  for (const e of entries) {
    const path = cleanPath(e.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dir(parts.slice(0, i).join('/'));
    if (e.type === 'dir') {
      dir(path, e.mode);
      continue;
    }
    if (seen.has(path)) throw new CpioError(`duplicate archive path "${path}"`);
    seen.set(path, e.type);
    if (e.type === 'file') out.push(...record(ino++, S_IFREG | ((e.mode ?? 0o644) & 0o7777), 1, path, e.data));
    else if (e.type === 'chardev')
      out.push(...record(ino++, S_IFCHR | ((e.mode ?? 0o600) & 0o7777), 1, path, Buffer.alloc(0), [e.major, e.minor]));
    else out.push(...record(ino++, S_IFLNK | 0o777, 1, path, Buffer.from(e.target, 'utf8')));
  }
  out.push(...record(0, 0, 1, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(out);
}
