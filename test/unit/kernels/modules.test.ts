import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleDepends, moduleNameOfFile, parseModinfo, ModinfoError } from '../../../src/kernels/modinfo.js';
import { moduleLoadOrder, parseModulesBuiltin } from '../../../src/kernels/module-closure.js';
import { KernelError } from '../../../src/core/errors.js';

/** A minimal ELF64 little-endian relocatable with sections: null, .text, .modinfo, .shstrtab. */
function fakeKo(modinfo: string[]): Buffer {
  const shstr = Buffer.from('\0.text\0.modinfo\0.shstrtab\0');
  const info = Buffer.from(modinfo.map((s) => `${s}\0`).join(''));
  const text = Buffer.from([0xc3]);
  const dataOff = 64;
  const textOff = dataOff;
  const infoOff = textOff + text.length;
  const strOff = infoOff + info.length;
  const shoff = Math.ceil((strOff + shstr.length) / 8) * 8;
  const buf = Buffer.alloc(shoff + 4 * 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2;
  buf[5] = 1;
  buf[6] = 1;
  buf.writeUInt16LE(1, 16); // ET_REL
  buf.writeUInt16LE(62, 18);
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(64, 0x34);
  buf.writeUInt16LE(64, 0x3a);
  buf.writeUInt16LE(4, 0x3c);
  buf.writeUInt16LE(3, 0x3e);
  text.copy(buf, textOff);
  info.copy(buf, infoOff);
  shstr.copy(buf, strOff);
  const sec = (i: number, name: number, off: number, size: number) => {
    const b = shoff + i * 64;
    buf.writeUInt32LE(name, b);
    buf.writeUInt32LE(1, b + 4);
    buf.writeBigUInt64LE(BigInt(off), b + 0x18);
    buf.writeBigUInt64LE(BigInt(size), b + 0x20);
  };
  sec(1, 1, textOff, text.length);
  sec(2, 7, infoOff, info.length);
  sec(3, 16, strOff, shstr.length);
  return buf;
}

test('modinfo: depends= and repeated keys from the .modinfo section', () => {
  const ko = fakeKo([
    'alias=virtio:d00000002v*',
    'alias=other',
    'depends=virtio,virtio_ring',
    'name=virtio_blk',
    'license=GPL',
  ]);
  const info = parseModinfo(ko);
  assert.deepEqual(info.get('alias'), ['virtio:d00000002v*', 'other']);
  assert.deepEqual(moduleDepends(ko), ['virtio', 'virtio_ring']);
  assert.deepEqual(moduleDepends(fakeKo(['depends=', 'name=virtio'])), []);
  assert.deepEqual(moduleDepends(fakeKo(['depends=crc32c-intel'])), ['crc32c_intel']);
});

test('modinfo: a file that is not a module is refused', () => {
  assert.throws(
    () => parseModinfo(Buffer.from('not an elf at all, just some text here to be long enough............')),
    ModinfoError,
  );
  const noInfo = fakeKo([]);
  noInfo.write('.xxxxxxx', noInfo.indexOf('.modinfo'), 'latin1'); // rename the section
  assert.throws(() => parseModinfo(noInfo), /no \.modinfo/);
});

test('module names from file names', () => {
  assert.equal(moduleNameOfFile('kernel/drivers/virtio/virtio_mmio.ko'), 'virtio_mmio');
  assert.equal(moduleNameOfFile('crc32c-intel.ko.xz'), 'crc32c_intel');
  assert.equal(moduleNameOfFile('x.ko.zst'), 'x');
  assert.equal(moduleNameOfFile('modules.builtin'), undefined);
});

const GRAPH: Record<string, string[]> = {
  virtio: [],
  virtio_ring: [],
  virtio_mmio: ['virtio', 'virtio_ring'],
  virtio_blk: ['virtio', 'virtio_ring'],
  virtio_console: ['virtio', 'virtio_ring'],
  a: ['b'],
  b: ['a'],
  needs_missing: ['ghost'],
};
const input = (wanted: string[], builtin: string[] = []) => ({
  wanted,
  builtin: new Set(builtin),
  has: (n: string) => n in GRAPH,
  depends: (n: string) => GRAPH[n] ?? [],
});

test('load order: dependencies first, each once, built-ins skipped', () => {
  assert.deepEqual(moduleLoadOrder(input(['virtio_mmio', 'virtio_blk', 'virtio_console', 'ext4'], ['ext4'])), [
    'virtio',
    'virtio_ring',
    'virtio_mmio',
    'virtio_blk',
    'virtio_console',
  ]);
  assert.deepEqual(moduleLoadOrder(input(['virtio-mmio'])), ['virtio', 'virtio_ring', 'virtio_mmio']);
  assert.deepEqual(moduleLoadOrder(input([])), []);
});

test('load order: a missing module or a cycle is a KernelError naming it', () => {
  assert.throws(
    () => moduleLoadOrder(input(['ext4'])),
    (e: unknown) => e instanceof KernelError && /no module ext4/.test(e.message),
  );
  assert.throws(() => moduleLoadOrder(input(['needs_missing'])), /ghost \(needed by needs_missing\)/);
  assert.throws(() => moduleLoadOrder(input(['a'])), /cycle: a -> b -> a/);
});

test('modules.builtin', () => {
  assert.deepEqual(
    [...parseModulesBuiltin('kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\nkernel/lib/crc-t10dif.ko\n\n')],
    ['ext4', 'jbd2', 'crc_t10dif'],
  );
});
