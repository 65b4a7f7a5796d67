/**
 * Random bytes from /dev/urandom. node:crypto costs ~7 ms to load on Node 20 and the hot
 * `run` path needs only ids and temp-file suffixes (ADR 0002).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let n = 0;
    while (n < bytes) n += readSync(fd, buf, n, bytes - n, null);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}

/** A uniform integer in [0, max) for small max (names), from 4 random bytes. */
export function randomBelow(max: number): number {
  return Number.parseInt(randomHex(4), 16) % max;
}
