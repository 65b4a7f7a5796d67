/**
 * A uml environment's disk as one plain ext4 file: a sparse copy of the base with the sectors its
 * COW file holds written over it. UML's COW v3 layout (arch/um/drivers/cow_user.c): a 4128-byte
 * big-endian header, the sector bitmap at the header's size rounded up to the alignment (bit i of
 * byte i/8, least significant first, = sector i is in the COW file), then the sectors at
 * `dataOffset + i * sectorSize`, the bitmap's end rounded up to the alignment. Read-only on both.
 */
import { chmodSync, closeSync, openSync, readSync, writeSync } from 'node:fs';
import { DiskError } from '../core/errors.js';
import { diskTool, runDiskTool } from '../host/disk-tools.js';
import { readUmlCowHeader, type UmlCowHeader } from './uml-cow.js';

const HEADER_V3_BYTES = 4128;
/** Sectors copied per read/write (1 MiB of 512-byte sectors). */
const RUN_SECTORS = 2048;

export interface CowLayout {
  bitmapOffset: number;
  bitmapBytes: number;
  dataOffset: number;
  sectors: number;
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Where the bitmap and the data are (pure). */
export function cowLayout(h: Pick<UmlCowHeader, 'size' | 'sectorSize' | 'alignment'>): CowLayout {
  if (h.sectorSize <= 0 || h.alignment <= 0)
    throw new DiskError('cow-bad', `the UML COW header has sector size ${h.sectorSize}, alignment ${h.alignment}`, {
      fix: 'remove the environment and create it again',
    });
  const sectors = Math.ceil(h.size / h.sectorSize);
  const bitmapOffset = roundUp(HEADER_V3_BYTES, h.alignment);
  const bitmapBytes = Math.ceil(sectors / 8);
  return { bitmapOffset, bitmapBytes, dataOffset: roundUp(bitmapOffset + bitmapBytes, h.alignment), sectors };
}

/** Runs [first, count] of set bits in the bitmap, each at most `max` long (pure). */
export function* setRuns(bitmap: Buffer, sectors: number, max = RUN_SECTORS): Generator<[number, number]> {
  let start = -1;
  for (let i = 0; i <= sectors; i++) {
    const set = i < sectors && (bitmap[i >> 3]! & (1 << (i & 7))) !== 0;
    if (set && start < 0) start = i;
    if (start >= 0 && (!set || i - start === max)) {
      yield [start, i - start];
      start = set ? i : -1;
    }
  }
}

/**
 * Write the environment's whole disk to `into` (which must not exist): the base copied sparse
 * (`cp --sparse=always`), then the COW file's sectors over it. Returns the base's path.
 */
export async function flattenUmlCow(cow: string, into: string): Promise<string> {
  const h = readUmlCowHeader(cow);
  const layout = cowLayout(h);
  await runDiskTool([diskTool('cp'), '--sparse=always', h.backingFile, into], 'copying the base disk');
  chmodSync(into, 0o600); // cp kept the base's 0444
  const src = openSync(cow, 'r');
  const dst = openSync(into, 'r+');
  try {
    const bitmap = Buffer.alloc(layout.bitmapBytes);
    readSync(src, bitmap, 0, bitmap.length, layout.bitmapOffset);
    const buf = Buffer.alloc(RUN_SECTORS * h.sectorSize);
    for (const [first, count] of setRuns(bitmap, layout.sectors)) {
      const bytes = count * h.sectorSize;
      const n = readSync(src, buf, 0, bytes, layout.dataOffset + first * h.sectorSize);
      // A sector past the COW file's end reads as zeros (the file is sparse and may be short).
      buf.fill(0, n, bytes);
      writeSync(dst, buf, 0, bytes, first * h.sectorSize);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  return h.backingFile;
}
