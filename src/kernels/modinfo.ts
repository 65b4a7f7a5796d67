/**
 * A kernel module's `.modinfo` ELF section ("key=value\0" strings: name, depends, license, ...)
 * read in TypeScript, so no modinfo/depmod is needed. Pure: works on the (decompressed) .ko bytes.
 */

export class ModinfoError extends Error {}

/** The raw .modinfo section of an ELF relocatable (.ko). */
export function modinfoSection(ko: Buffer): Buffer {
  if (ko.length < 64 || ko.readUInt32BE(0) !== 0x7f454c46) throw new ModinfoError('not an ELF file');
  const is64 = ko[4] === 2;
  const le = ko[5] === 1;
  const u16 = (o: number) => (le ? ko.readUInt16LE(o) : ko.readUInt16BE(o));
  const u32 = (o: number) => (le ? ko.readUInt32LE(o) : ko.readUInt32BE(o));
  const uN = (o: number) => (is64 ? Number(le ? ko.readBigUInt64LE(o) : ko.readBigUInt64BE(o)) : u32(o));
  const shoff = uN(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0 || shoff + shnum * shentsize > ko.length || shstrndx >= shnum) {
    throw new ModinfoError('bad ELF section table');
  }
  const sec = (i: number) => {
    const b = shoff + i * shentsize;
    return { name: u32(b), offset: uN(b + (is64 ? 0x18 : 0x10)), size: uN(b + (is64 ? 0x20 : 0x14)) };
  };
  const strtab = sec(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    const at = strtab.offset + s.name;
    const end = ko.indexOf(0, at);
    if (end < 0) continue;
    if (ko.toString('latin1', at, end) === '.modinfo') {
      if (s.offset + s.size > ko.length) throw new ModinfoError('.modinfo runs past the end of the file');
      return ko.subarray(s.offset, s.offset + s.size);
    }
  }
  throw new ModinfoError('no .modinfo section (not a kernel module)');
}

/** All key=value pairs of .modinfo; repeated keys (alias, parm) keep every value. */
export function parseModinfo(ko: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of modinfoSection(ko).toString('utf8').split('\0')) {
    const eq = s.indexOf('=');
    if (eq <= 0) continue;
    const k = s.slice(0, eq);
    out.set(k, [...(out.get(k) ?? []), s.slice(eq + 1)]);
  }
  return out;
}

/** The modules this one needs loaded first (`depends=`), normalised to underscores. */
export function moduleDepends(ko: Buffer): string[] {
  const d = parseModinfo(ko).get('depends')?.[0] ?? '';
  return d
    .split(',')
    .map((x) => normalizeModuleName(x.trim()))
    .filter((x) => x !== '');
}

/** Kernel module names treat '-' and '_' alike; the kernel reports underscores. */
export function normalizeModuleName(n: string): string {
  return n.replace(/-/g, '_');
}

/** The module name of a file name: "crc32c-intel.ko.xz" -> "crc32c_intel". */
export function moduleNameOfFile(file: string): string | undefined {
  const m = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/.exec(file.slice(file.lastIndexOf('/') + 1));
  return m ? normalizeModuleName(m[1]!) : undefined;
}
