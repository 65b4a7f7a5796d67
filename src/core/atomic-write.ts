/** Crash-safe file writes: write a temp file beside the target (or in tmpDir, same filesystem), fsync, rename over it. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync } from 'node:fs';
import { randomHex } from './random.js';
import { basename, join } from 'node:path';

/**
 * `durable` adds an fsync before the rename: for records that must survive a power cut (an
 * environment's config). Lifecycle marks skip it: they are re-derived from reality anyway.
 */
export function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode = 0o600,
  durable = true,
  tmpDir?: string,
): void {
  const tmp = `${tmpDir ? join(tmpDir, basename(path)) : path}.tmp-${process.pid}-${randomHex(4)}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown, mode = 0o600, durable = true): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode, durable);
}
