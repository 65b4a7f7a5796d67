/**
 * The fields of an on-disk ext4 inode that a commit needs, decoded from its raw bytes (pure).
 * Offsets from the ext4 disk layout (struct ext4_inode); all little-endian.
 */

export interface Ext4Inode {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  links: number;
  flags: number;
  /** 512-byte sectors allocated (low 32 bits). */
  sectors: number;
  generation: number;
  /** The 60 bytes of i_block: extents, a fast symlink's target or a device number. */
  block: Buffer;
}

const EXT4_INLINE_DATA_FL = 0x10000000;

export function decodeInode(raw: Buffer): Ext4Inode {
  return {
    mode: raw.readUInt16LE(0x00),
    uid: raw.readUInt16LE(0x02) | (raw.readUInt16LE(0x78) << 16),
    size: raw.readUInt32LE(0x04) + raw.readUInt32LE(0x6c) * 2 ** 32,
    mtime: raw.readUInt32LE(0x10),
    gid: raw.readUInt16LE(0x18) | (raw.readUInt16LE(0x7a) << 16),
    links: raw.readUInt16LE(0x1a),
    sectors: raw.readUInt32LE(0x1c),
    flags: raw.readUInt32LE(0x20),
    block: raw.subarray(0x28, 0x28 + 60),
    generation: raw.readUInt32LE(0x64),
  };
}

/**
 * Bytes that change when a file is only read (access time and the checksum over it): left out
 * when an environment's inode is compared with the base's.
 */
const VOLATILE: [number, number][] = [
  [0x08, 4], // i_atime
  [0x7c, 2], // i_checksum_lo
  [0x82, 2], // i_checksum_hi
  [0x8c, 4], // i_atime_extra
];

/** Did the inode change other than by being read? */
export function inodeChanged(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return true;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  for (const [off, len] of VOLATILE) {
    if (off + len <= x.length) {
      x.fill(0, off, off + len);
      y.fill(0, off, off + len);
    }
  }
  return !x.equals(y);
}

/** A fast symlink keeps its target in i_block; undefined: the target is in a data block (dump it). */
export function fastSymlinkTarget(i: Ext4Inode): string | undefined {
  if (i.size >= 60 || i.sectors !== 0 || (i.flags & EXT4_INLINE_DATA_FL) !== 0) return undefined;
  return i.block.subarray(0, i.size).toString('utf8');
}

/** A device node's numbers (the old 8:8 encoding in i_block[0], else the new one in i_block[1]). */
export function deviceNumbers(i: Ext4Inode): { major: number; minor: number } {
  const old = i.block.readUInt32LE(0);
  if (old !== 0) return { major: (old >> 8) & 0xff, minor: old & 0xff };
  const dev = i.block.readUInt32LE(4);
  return { major: (dev & 0xfff00) >> 8, minor: (dev & 0xff) | ((dev >> 12) & 0xfff00) };
}
