/**
 * Pure parts of layer unpacking: entry path normalisation and OCI whiteout mapping.
 */
export class UnsafePathError extends Error {}

/**
 * The components of a tar entry path, relative to the layer root. "./" prefixes, "." and
 * empty components go; an absolute path, a ".." anywhere or a NUL byte is refused (never
 * clamped: a layer that says "../../etc/x" is hostile or broken). [] is the layer root.
 */
export function normalizeEntryPath(raw: string): string[] {
  if (raw.includes('\0')) throw new UnsafePathError(`path ${JSON.stringify(raw)} contains a NUL byte`);
  if (raw.startsWith('/')) throw new UnsafePathError(`absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafePathError(`path ${JSON.stringify(raw)} leaves the layer ("..")`);
  return parts;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type WhiteoutKind =
  | { kind: 'normal' }
  /** Remove `target` (from lower layers): an overlayfs whiteout at that path. */
  | { kind: 'whiteout'; target: string[] }
  /** Hide everything lower layers have in `dir`. */
  | { kind: 'opaque'; dir: string[] }
  /** Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): meaningless to overlayfs, skipped. */
  | { kind: 'aufs-meta' };

/** What an already normalised entry path means under the OCI whiteout rules. */
export function classifyWhiteout(parts: string[]): WhiteoutKind {
  for (const p of parts.slice(0, -1)) {
    if (p.startsWith(WHITEOUT_PREFIX))
      throw new UnsafePathError(`whiteout name used as a directory in ${parts.join('/')}`);
  }
  const last = parts[parts.length - 1];
  if (last === undefined || !last.startsWith(WHITEOUT_PREFIX)) return { kind: 'normal' };
  const dir = parts.slice(0, -1);
  if (last === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (last.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'aufs-meta' };
  const name = last.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw new UnsafePathError(`whiteout ${JSON.stringify(parts.join('/'))} names "${name}", not an entry`);
  }
  return { kind: 'whiteout', target: [...dir, name] };
}

/** The overlayfs xattr that marks an opaque directory. */
export function opaqueXattr(rootless: boolean): string {
  return rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}

/** May this xattr be set in this mode? Rootless can only set user.* xattrs. */
export function xattrAllowed(name: string, rootless: boolean): boolean {
  if (!rootless) return true;
  return name.startsWith('user.');
}

export type Compression = 'gzip' | 'zstd' | 'none' | 'auto';

/** Compression detected from the first bytes of a layer blob. */
export function detectCompression(head: Buffer): 'gzip' | 'zstd' | 'xz' | 'none' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}
