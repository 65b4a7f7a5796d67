/**
 * A minimal ustar + PAX writer. Used to hand single entries (with `SCHILY.xattr.*` records) to
 * GNU tar, which is berth's only way to set extended attributes from Node without a native
 * addon, and by the tests to build hostile archives byte for byte.
 */
export interface TarWriteEntry {
  path: string;
  /** ustar typeflag: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo. */
  type: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Size written in the header (defaults to data length; may lie, for hostile tests). */
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkpath?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records, e.g. `SCHILY.xattr.user.x`. */
  pax?: Record<string, string | Buffer>;
  data?: Buffer;
}

const MAX_OCTAL_11 = 0o77777777777;

function writeString(b: Buffer, off: number, len: number, s: string): boolean {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > len) return false;
  bytes.copy(b, off);
  return true;
}

function writeNumber(b: Buffer, off: number, len: number, n: number): void {
  const max = 8 ** (len - 1) - 1;
  if (n >= 0 && n <= max) {
    b.write(`${n.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
    return;
  }
  // GNU base-256: high bit of the first byte set, big-endian value.
  let v = BigInt(n);
  for (let i = len - 1; i >= 1; i--) {
    b[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[off] = 0x80;
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), v, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function block512(n: number): number {
  return Math.ceil(n / 512) * 512;
}

function ustar(e: TarWriteEntry, size: number, name: string, linkname: string, type: string): Buffer {
  const h = Buffer.alloc(512);
  writeString(h, 0, 100, name);
  writeNumber(h, 100, 8, e.mode ?? (type === '5' ? 0o755 : 0o644));
  writeNumber(h, 108, 8, e.uid ?? 0);
  writeNumber(h, 116, 8, e.gid ?? 0);
  writeNumber(h, 124, 12, size);
  writeNumber(h, 136, 12, Math.floor(e.mtime ?? 0));
  h.write('        ', 148, 8, 'latin1');
  h.write(type, 156, 1, 'latin1');
  writeString(h, 157, 100, linkname);
  h.write('ustar\u000000', 257, 8, 'latin1');
  writeNumber(h, 329, 8, e.devmajor ?? 0);
  writeNumber(h, 337, 8, e.devminor ?? 0);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

/** The header block(s) of one entry: a PAX 'x' header when needed, then the ustar header. */
export function tarHeader(e: TarWriteEntry): Buffer {
  const size = e.size ?? e.data?.length ?? 0;
  const records: Buffer[] = [];
  let name = e.path;
  let linkname = e.linkpath ?? '';
  if (Buffer.byteLength(name) > 100) {
    records.push(paxRecord('path', name));
    name = name.slice(0, 90);
  }
  if (Buffer.byteLength(linkname) > 100) {
    records.push(paxRecord('linkpath', linkname));
    linkname = '';
  }
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', String(size)));
  for (const [k, v] of Object.entries(e.pax ?? {})) records.push(paxRecord(k, v));
  const out: Buffer[] = [];
  if (records.length > 0) {
    const body = Buffer.concat(records);
    out.push(ustar({ path: 'PaxHeader', type: 'x' }, body.length, 'PaxHeader', '', 'x'));
    out.push(body, Buffer.alloc(block512(body.length) - body.length));
  }
  out.push(ustar(e, size, name, linkname, e.type));
  return Buffer.concat(out);
}

/** Zero padding after `size` bytes of data. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc(block512(size) - size);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(1024);

/** A whole archive in memory (tests, small helper archives). */
export function tarArchive(entries: TarWriteEntry[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    if (e.data) parts.push(e.data, tarPadding(e.data.length));
  }
  if (opts.end !== false) parts.push(TAR_END);
  return Buffer.concat(parts);
}
