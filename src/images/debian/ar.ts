/**
 * Reading Unix `ar` archives (the outer format of a .deb). Pure: works on a Buffer and
 * returns views into it.
 */

export interface ArMember {
  name: string;
  mode: number;
  data: Buffer;
}

const MAGIC = '!<arch>\n';
const HEADER = 60;

export class ArFormatError extends Error {}

/** All members of an ar archive, in order. Throws ArFormatError on anything malformed. */
export function parseAr(buf: Buffer): ArMember[] {
  if (buf.length < MAGIC.length || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new ArFormatError('not an ar archive (bad magic)');
  }
  const out: ArMember[] = [];
  let off = MAGIC.length;
  while (off < buf.length) {
    if (buf.length - off === 1 && buf[off] === 0x0a) break; // trailing pad
    if (off + HEADER > buf.length) throw new ArFormatError(`truncated member header at offset ${off}`);
    const h = buf.toString('latin1', off, off + HEADER);
    if (h.slice(58, 60) !== '`\n') throw new ArFormatError(`bad member header at offset ${off}`);
    const sizeText = h.slice(48, 58).trim();
    if (!/^\d+$/.test(sizeText)) throw new ArFormatError(`bad member size at offset ${off}`);
    let size = Number(sizeText);
    const mode = parseInt(h.slice(40, 48).trim() || '0', 8);
    let name = h.slice(0, 16).trimEnd();
    let start = off + HEADER;
    const bsd = /^#1\/(\d+)$/.exec(name); // BSD long name: stored at the start of the data
    if (bsd) {
      const len = Number(bsd[1]);
      if (len > size) throw new ArFormatError(`bad BSD name length at offset ${off}`);
      name = buf.toString('utf8', start, start + len).replace(/\0+$/, '');
      start += len;
      size -= len;
    } else if (name.endsWith('/') && name !== '/' && name !== '//') {
      name = name.slice(0, -1); // GNU/SysV style terminator
    }
    if (start + size > buf.length) throw new ArFormatError(`member "${name}" runs past the end of the archive`);
    out.push({ name, mode: Number.isNaN(mode) ? 0 : mode, data: buf.subarray(start, start + size) });
    off = start + size;
    if (off % 2 === 1) off += 1; // members are 2-byte aligned
  }
  return out;
}
