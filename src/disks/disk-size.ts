/**
 * How big an ext4 base disk is (ADR 0015). Pure arithmetic, unit-tested.
 *
 * - minimum: what the image's files need (their allocated bytes + 10 %, inode tables for the
 *   inodes, the journal and ext4's own metadata), rounded up to 1 MiB. `--disk-size` below it is refused.
 * - default virtual size: the minimum plus as much headroom again, and at least 1 GiB. The file is
 *   sparse and mke2fs marks the inode tables zeroed, so unused space costs nothing on the host.
 */
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;
export const BLOCK_SIZE = 4096;
/** Bytes per inode mke2fs would give ("-i"); we pass -N when the image needs more. */
export const BYTES_PER_INODE = 16384;
export const INODE_SIZE = 256;
export const DEFAULT_FLOOR = GIB;

export interface Content {
  /** Allocated bytes of the merged tree (du -B1). */
  bytes: number;
  /** Files, dirs, links (du --inodes). */
  inodes: number;
}

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** The ext4 journal mke2fs makes for a file system of this size (ext2fs_default_journal_size). */
export function journalBytes(sizeBytes: number): number {
  const blocks = sizeBytes / BLOCK_SIZE;
  if (blocks < 2048) return 0;
  const steps: Array<[number, number]> = [
    [32768, 1024],
    [256 * 1024, 4096],
    [512 * 1024, 8192],
    [4096 * 1024, 16384],
    [8192 * 1024, 32768],
    [16384 * 1024, 65536],
    [32768 * 1024, 131072],
  ];
  for (const [below, journal] of steps) if (blocks < below) return journal * BLOCK_SIZE;
  return 262144 * BLOCK_SIZE;
}

/** Inodes to ask mke2fs for: its default for the size, or the image's count + 25 % + 1024 if more. */
export function inodeCount(sizeBytes: number, contentInodes: number): number {
  return Math.max(Math.floor(sizeBytes / BYTES_PER_INODE), Math.ceil(contentInodes * 1.25) + 1024);
}

/** The smallest base that holds `c` (conservative: 10 % slack over the data, 2 % metadata). */
export function minimumBytes(c: Content): number {
  const data = Math.ceil(c.bytes * 1.1) + c.inodes * BLOCK_SIZE * 0.05;
  const inodes = (Math.ceil(c.inodes * 1.25) + 1024) * INODE_SIZE;
  let size = roundUp(data + inodes + 4 * MIB, MIB);
  // The journal grows with the size; two rounds settle it.
  for (let i = 0; i < 2; i++) size = roundUp(data + inodes + 4 * MIB + journalBytes(size) + size * 0.02, MIB);
  return size;
}

/** The virtual size of a base built without `--disk-size`. */
export function defaultBytes(c: Content): number {
  return Math.max(DEFAULT_FLOOR, roundUp(2 * minimumBytes(c), 256 * MIB));
}

/** Human form for messages: 1.5G, 64M, 12K. */
export function formatSize(bytes: number): string {
  const units: Array<[string, number]> = [
    ['T', 1024 ** 4],
    ['G', GIB],
    ['M', MIB],
    ['K', 1024],
  ];
  for (const [u, n] of units) {
    if (bytes >= n) {
      const v = bytes / n;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${u}`;
    }
  }
  return `${bytes}B`;
}
