/**
 * Just enough ELF to tell a static executable from a dynamic one: an executable is static
 * when it has no PT_INTERP program header (static-pie included). Pure function.
 */

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_type: 2 = EXEC, 3 = DYN. */
  type: number;
  /** e_machine, e.g. 62 = x86-64, 183 = AArch64. */
  machine: number;
  hasInterp: boolean;
}

const PT_INTERP = 3;

/** e_machine for Node's process.arch. */
export const ELF_MACHINE: Record<string, number> = {
  x64: 62,
  arm64: 183,
  ia32: 3,
  arm: 40,
  riscv64: 243,
  ppc64: 21,
  s390x: 22,
  loong64: 258,
};

/** Parse the ELF header and program headers; undefined when `buf` is not a complete ELF header set. */
export function readElf(buf: Buffer): ElfInfo | undefined {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const cls = buf[4];
  const data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const le = data === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const bits = cls === 2 ? 64 : 32;
  if (bits === 64 && buf.length < 64) return undefined;
  const phoff = bits === 64 ? u64(32) : u32(28);
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);
  if (phentsize < 4 || phoff + phentsize * phnum > buf.length) return undefined;
  let hasInterp = false;
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === PT_INTERP) hasInterp = true;
  }
  return { bits, littleEndian: le, type: u16(16), machine: u16(18), hasInterp };
}

/** True when `buf` is a statically linked executable (for `nodeArch`'s machine, when given). */
export function isStaticElf(buf: Buffer, nodeArch?: string): boolean {
  const elf = readElf(buf);
  if (!elf || elf.hasInterp || (elf.type !== 2 && elf.type !== 3)) return false;
  if (nodeArch !== undefined && ELF_MACHINE[nodeArch] !== undefined && elf.machine !== ELF_MACHINE[nodeArch])
    return false;
  return true;
}
