/** Reading host files into tar entries: exact-size chunks and device numbers (commit and export share them). */
import { closeSync, openSync, readSync } from 'node:fs';

/** Linux's major/minor of a stat rdev (glibc's gnu_dev_major/minor). */
export const major = (rdev: number): number => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
export const minor = (rdev: number): number => (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);

/**
 * Exactly `size` bytes of a file in chunks of up to 1 MiB (zero-padded if it shrank meanwhile, as
 * the tar header already said `size`). `fallback` reads a file this process may not open (EACCES).
 */
export function* fileChunks(
  path: string,
  size: number,
  fallback?: (absPath: string, size: number) => Buffer,
): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' || !fallback) throw e;
    const data = fallback(path, size);
    yield data.length >= size ? data.subarray(0, size) : Buffer.concat([data, Buffer.alloc(size - data.length)]);
    return;
  }
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.alloc(Math.min(left, 1 << 20));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) {
        yield Buffer.alloc(left);
        return;
      }
      yield n === buf.length ? buf : buf.subarray(0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}
