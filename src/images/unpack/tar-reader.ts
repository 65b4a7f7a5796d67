/**
 * A streaming tar reader (ustar, GNU long names, PAX 'x'/'g' records) written for layer
 * unpacking: tar@7's parser drops `SCHILY.xattr.*` records and decodes PAX values as UTF-8
 * (so binary xattrs such as security.capability would be lost), and its truncation handling is
 * a warning. Here a truncated archive, a bad checksum or an unsupported sparse entry is an error.
 */
export class TarFormatError extends Error {}
export class TarTruncatedError extends TarFormatError {}

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (may have a fraction from PAX). */
  mtime: number;
  linkpath: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records, name -> raw value. */
  xattrs: Map<string, Buffer>;
}

/** Cap on PAX / GNU long-name bodies kept in memory. */
const MAX_META = 1 << 20;

class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
    return true;
  }

  /** Exactly n bytes; null at a clean end (no byte at all); throws when cut short. */
  async exact(n: number, what: string): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (!(await this.pull())) {
        if (this.buf.length === 0) return null;
        throw new TarTruncatedError(`archive truncated in ${what} (needed ${n} bytes, got ${this.buf.length})`);
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Between 1 and max bytes; throws when the stream ends first. */
  async some(max: number, what: string): Promise<Buffer> {
    while (this.buf.length === 0) {
      if (!(await this.pull())) throw new TarTruncatedError(`archive truncated in ${what}`);
    }
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

function num(b: Buffer, off: number, len: number, field: string): number {
  const f = b.subarray(off, off + len);
  if (f[0] !== undefined && (f[0] & 0x80) !== 0) {
    if ((f[0] & 0x40) !== 0) throw new TarFormatError(`negative base-256 ${field}`);
    let v = BigInt(f[0] & 0x3f);
    for (let i = 1; i < f.length; i++) v = (v << 8n) | BigInt(f[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`${field} too large`);
    return Number(v);
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad octal ${field} "${s}"`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const want = num(h, 148, 8, 'checksum');
  let u = 0;
  let s = 0;
  for (let i = 0; i < 512; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : h[i]!;
    u += x;
    s += x > 127 ? x - 256 : x;
  }
  return want === u || want === s;
}

/** PAX records; values stay raw bytes (xattrs may be binary). */
export function parsePax(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break;
    const sp = body.indexOf(0x20, pos);
    if (sp < 0) throw new TarFormatError('bad PAX record');
    const len = Number(body.subarray(pos, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= sp - pos + 1 || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      throw new TarFormatError('bad PAX record length');
    }
    const rec = body.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarFormatError('bad PAX record');
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

export interface TarItem {
  entry: TarEntry;
  /** The entry's data; read it fully or not at all before asking for the next item. */
  body: AsyncIterable<Buffer>;
}

/**
 * Entries of a tar stream in order. `onSkip` hears about entries of unsupported types that
 * were skipped (GNU volume headers and the like).
 */
export async function* readTar(src: AsyncIterable<Buffer>, onSkip?: (msg: string) => void): AsyncGenerator<TarItem> {
  const s = new ByteSource(src[Symbol.asyncIterator]());
  let global = new Map<string, Buffer>();
  let local = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let sawEntry = false;
  const readMeta = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_META) throw new TarFormatError(`${what} of ${size} bytes is too large`);
    const b = size === 0 ? Buffer.alloc(0) : await s.exact(size, what);
    if (!b) throw new TarTruncatedError(`archive truncated in ${what}`);
    const pad = (512 - (size % 512)) % 512;
    if (pad && !(await s.exact(pad, what))) throw new TarTruncatedError(`archive truncated in ${what}`);
    return Buffer.from(b);
  };
  for (;;) {
    const h = await s.exact(512, 'a header');
    if (!h) {
      if (!sawEntry) throw new TarTruncatedError('empty archive');
      return; // no end blocks: accepted, as GNU tar does
    }
    if (h.every((x) => x === 0)) return;
    if (!checksumOk(h)) throw new TarFormatError('header checksum mismatch (not a tar archive, or corrupt)');
    sawEntry = true;
    const flag = String.fromCharCode(h[156]!);
    let size = num(h, 124, 12, 'size');
    if (flag === 'x' || flag === 'g') {
      const recs = parsePax(await readMeta(size, 'a PAX header'));
      if (flag === 'g') global = new Map([...global, ...recs]);
      else local = new Map([...local, ...recs]);
      continue;
    }
    if (flag === 'L' || flag === 'K') {
      const v = cstr(await readMeta(size, 'a GNU long name'), 0, MAX_META);
      if (flag === 'L') longName = v;
      else longLink = v;
      continue;
    }
    const pax = new Map([...global, ...local]);
    for (const k of pax.keys()) {
      if (k.startsWith('GNU.sparse.')) throw new TarFormatError('sparse tar entries are not supported');
    }
    const magic = h.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? cstr(h, 345, 155) : '';
    let path = longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    let linkpath = longLink ?? cstr(h, 157, 100);
    const paxStr = (k: string): string | undefined => pax.get(k)?.toString('utf8');
    const paxNum = (k: string): number | undefined => {
      const v = paxStr(k);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new TarFormatError(`bad PAX ${k} "${v}"`);
      return n;
    };
    path = paxStr('path') ?? path;
    linkpath = paxStr('linkpath') ?? linkpath;
    size = paxNum('size') ?? size;
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    local = new Map();
    longName = undefined;
    longLink = undefined;
    if (flag === 'S') throw new TarFormatError(`sparse tar entry ${path} is not supported`);
    const type = TYPES[flag];
    // Only regular files carry data (a hardlink's size field is ignored by GNU tar too).
    const dataSize = type === 'file' || type === undefined ? size : 0;
    let remaining = dataSize;
    const body = (async function* () {
      while (remaining > 0) {
        const c = await s.some(Math.min(remaining, 1 << 20), `the data of ${path}`);
        remaining -= c.length;
        yield c;
      }
    })();
    if (type === undefined) {
      onSkip?.(`skipped ${path}: unsupported tar entry type '${flag}'`);
    } else {
      const entry: TarEntry = {
        path,
        type,
        mode: num(h, 100, 8, 'mode') & 0o7777,
        uid: paxNum('uid') ?? num(h, 108, 8, 'uid'),
        gid: paxNum('gid') ?? num(h, 116, 8, 'gid'),
        size: dataSize,
        mtime: paxNum('mtime') ?? num(h, 136, 12, 'mtime'),
        linkpath,
        devmajor: num(h, 329, 8, 'devmajor'),
        devminor: num(h, 337, 8, 'devminor'),
        xattrs,
      };
      yield { entry, body };
    }
    while (remaining > 0) {
      const c = await s.some(Math.min(remaining, 1 << 20), `the data of ${path}`);
      remaining -= c.length;
    }
    const pad = (512 - (dataSize % 512)) % 512;
    if (pad && !(await s.exact(pad, `the padding of ${path}`)))
      throw new TarTruncatedError(`archive truncated after ${path}`);
  }
}
