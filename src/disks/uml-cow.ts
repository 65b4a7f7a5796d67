/**
 * A uml environment's disk: a ubd COW file over the shared base. UML creates the COW file itself
 * at boot from `ubd0=COW,BASE` and records the base's path, size and mtime in its header; it
 * refuses a base whose size or mtime changed, which is why bases are never touched after the build.
 * Naming, the kernel argument and a header check (pure parts unit-tested).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DiskError } from '../core/errors.js';

export const UML_COW_NAME = 'disk.cow';
const COW_MAGIC = 0x4f4f4f4d; // "OOOM"
const HEADER_V3_BYTES = 32 + 4096;

export function umlCowPath(envDir: string): string {
  return join(envDir, UML_COW_NAME);
}

/** `ubd0=COW,BASE`: UML's syntax has no escaping, so ',' ':' '=' and spaces in the paths are refused. */
export function ubdArg(cow: string, base: string, index = 0): string {
  for (const p of [cow, base]) {
    if (!p.startsWith('/') || /[,:=\s]/.test(p)) {
      throw new DiskError(
        'ubd-path',
        `UML cannot use the disk path ${JSON.stringify(p)} (it must be absolute, without , : = or spaces)`,
        { fix: 'use a BERTH_ROOT / data dir without those characters' },
      );
    }
  }
  return `ubd${index}=${cow},${base}`;
}

export interface UmlCowHeader {
  version: number;
  /** The base's mtime (seconds) and size when the COW file was made. */
  mtime: number;
  size: number;
  sectorSize: number;
  alignment: number;
  backingFile: string;
}

/** Parse a version 3 COW header (big-endian, packed), or say why not. */
export function parseUmlCowHeader(buf: Buffer): UmlCowHeader {
  if (buf.length < 32 || buf.readUInt32BE(0) !== COW_MAGIC)
    throw new DiskError('cow-bad', 'not a UML COW file (bad magic)', {
      fix: 'remove the environment and create it again',
    });
  const version = buf.readUInt32BE(4);
  if (version !== 3)
    throw new DiskError('cow-bad', `UML COW version ${version} is not supported (only 3)`, {
      fix: 'remove the environment and create it again',
    });
  const name = buf.subarray(32, Math.min(buf.length, HEADER_V3_BYTES));
  const end = name.indexOf(0);
  return {
    version,
    mtime: buf.readUInt32BE(8),
    size: Number(buf.readBigUInt64BE(12)),
    sectorSize: buf.readUInt32BE(20),
    alignment: buf.readUInt32BE(24),
    backingFile: name.subarray(0, end < 0 ? name.length : end).toString('utf8'),
  };
}

export function readUmlCowHeader(cow: string): UmlCowHeader {
  const fd = openSync(cow, 'r');
  try {
    const buf = Buffer.alloc(HEADER_V3_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parseUmlCowHeader(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Throw unless `cow` is a COW file over `base` as it is now (same path, size and mtime). */
export function checkUmlCow(cow: string, base: string): UmlCowHeader {
  const h = readUmlCowHeader(cow);
  const st = statSync(base);
  const fix = 'remove the environment (berth rm) and create it again';
  if (h.backingFile !== base)
    throw new DiskError('cow-other-base', `${cow} is backed by ${h.backingFile}, not ${base}`, { fix });
  if (h.size !== st.size || h.mtime !== Math.floor(st.mtimeMs / 1000) % 2 ** 32) {
    throw new DiskError(
      'cow-base-changed',
      `the base disk ${base} changed after ${cow} was made (size or mtime differ)`,
      { fix },
    );
  }
  return h;
}
