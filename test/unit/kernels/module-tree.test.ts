import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { indexModuleTree, planModules } from '../../../src/kernels/module-tree.js';
import { requireThat } from '../../helpers/requirements.js';

/** Smallest ELF64 LE with a .modinfo section holding `depends=`. */
function ko(depends: string): Buffer {
  const shstr = Buffer.from('\0.modinfo\0.shstrtab\0');
  const info = Buffer.from(`depends=${depends}\0license=GPL\0`);
  const infoOff = 64;
  const strOff = infoOff + info.length;
  const shoff = Math.ceil((strOff + shstr.length) / 8) * 8;
  const b = Buffer.alloc(shoff + 3 * 64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b[6] = 1;
  b.writeBigUInt64LE(BigInt(shoff), 0x28);
  b.writeUInt16LE(64, 0x3a);
  b.writeUInt16LE(3, 0x3c);
  b.writeUInt16LE(2, 0x3e);
  info.copy(b, infoOff);
  shstr.copy(b, strOff);
  const sec = (i: number, name: number, off: number, size: number) => {
    b.writeUInt32LE(name, shoff + i * 64);
    b.writeBigUInt64LE(BigInt(off), shoff + i * 64 + 0x18);
    b.writeBigUInt64LE(BigInt(size), shoff + i * 64 + 0x20);
  };
  sec(1, 1, infoOff, info.length);
  sec(2, 10, strOff, shstr.length);
  return b;
}

const compress = (tool: string, data: Buffer) => spawnSync(tool, ['-c'], { input: data }).stdout;
const hasXz = spawnSync('xz', ['--version']).status === 0;
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

test('module tree: compressed modules (.ko.xz, .ko.zst, .ko.gz) are indexed, ordered and decompressed', async (t) => {
  if (!requireThat(t, hasXz && hasZstd, 'xz and zstd (apt-get install xz-utils zstd)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'berth-modtree-'));
  try {
    mkdirSync(join(dir, 'kernel/drivers/virtio'), { recursive: true });
    mkdirSync(join(dir, 'kernel/drivers/block'), { recursive: true });
    const mods = {
      virtio: ko(''),
      virtio_ring: ko(''),
      virtio_mmio: ko('virtio,virtio_ring'),
      virtio_blk: ko('virtio,virtio_ring'),
    };
    writeFileSync(join(dir, 'kernel/drivers/virtio/virtio.ko.xz'), compress('xz', mods.virtio));
    writeFileSync(join(dir, 'kernel/drivers/virtio/virtio_ring.ko.zst'), compress('zstd', mods.virtio_ring));
    writeFileSync(join(dir, 'kernel/drivers/virtio/virtio_mmio.ko.gz'), gzipSync(mods.virtio_mmio));
    writeFileSync(join(dir, 'kernel/drivers/block/virtio_blk.ko'), mods.virtio_blk);
    writeFileSync(join(dir, 'modules.builtin'), 'kernel/fs/ext4/ext4.ko\n');
    const tree = indexModuleTree(dir);
    assert.equal(tree.files.get('virtio_ring'), 'kernel/drivers/virtio/virtio_ring.ko.zst');
    assert.ok(tree.builtin.has('ext4'));
    const plan = await planModules(tree, ['virtio_mmio', 'virtio_blk', 'ext4'], 'test kernel');
    assert.deepEqual(plan.order, ['virtio', 'virtio_ring', 'virtio_mmio', 'virtio_blk']);
    for (const [n, data] of Object.entries(mods)) assert.deepEqual(plan.data.get(n), data, `${n} decompressed`);
    await assert.rejects(planModules(tree, ['virtio_net'], 'test kernel'), /test kernel has no module virtio_net/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
