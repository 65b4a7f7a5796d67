/** A uml COW file made flat: its layout, the runs of its bitmap, and a small one written over a base. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cowLayout, flattenUmlCow, setRuns } from '../../../src/disks/uml-cow-flatten.js';
import { rawBaseOfChain } from '../../../src/disks/flat-env-disk.js';

describe('uml COW flattening', () => {
  it('layout of a 1 GiB base (512-byte sectors and alignment, as berth-made COW files have)', () => {
    assert.deepEqual(cowLayout({ size: 2 ** 30, sectorSize: 512, alignment: 512 }), {
      bitmapOffset: 4608,
      bitmapBytes: 262144,
      dataOffset: 266752,
      sectors: 2097152,
    });
    assert.throws(() => cowLayout({ size: 1, sectorSize: 0, alignment: 512 }), /sector size 0/);
  });

  it('runs of set bits, least significant bit first, split at the run limit', () => {
    const bitmap = Buffer.from([0b1000_0110, 0b0000_0001, 0xff]);
    assert.deepEqual(
      [...setRuns(bitmap, 24)],
      [
        [1, 2],
        [7, 2],
        [16, 8],
      ],
    );
    assert.deepEqual(
      [...setRuns(bitmap, 24, 3)],
      [
        [1, 2],
        [7, 2],
        [16, 3],
        [19, 3],
        [22, 2],
      ],
    );
    assert.deepEqual(
      [...setRuns(bitmap, 20)],
      [
        [1, 2],
        [7, 2],
        [16, 4],
      ],
      'bits past the disk are ignored',
    );
  });

  it("writes the COW file's sectors over a sparse copy of the base", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cow-flat-'));
    try {
      const base = join(dir, 'base.raw');
      const size = 8 * 512;
      writeFileSync(base, Buffer.alloc(size, 'b'), { mode: 0o444 });
      const { bitmapOffset, dataOffset } = cowLayout({ size, sectorSize: 512, alignment: 512 });
      const cow = Buffer.alloc(dataOffset + size);
      cow.writeUInt32BE(0x4f4f4f4d, 0);
      cow.writeUInt32BE(3, 4);
      cow.writeBigUInt64BE(BigInt(size), 12);
      cow.writeUInt32BE(512, 20);
      cow.writeUInt32BE(512, 24);
      cow.write(base, 32);
      cow[bitmapOffset] = 0b0000_0101; // sectors 0 and 2
      cow.fill('c', dataOffset, dataOffset + 512);
      cow.fill('C', dataOffset + 1024, dataOffset + 1536);
      cow.fill('x', dataOffset + 512, dataOffset + 1024); // not in the bitmap: ignored
      writeFileSync(join(dir, 'disk.cow'), cow);
      const out = join(dir, 'flat.raw');
      assert.equal(await flattenUmlCow(join(dir, 'disk.cow'), out), base);
      const flat = readFileSync(out);
      assert.equal(statSync(out).size, size);
      const expected = Buffer.alloc(size, 'b');
      expected.fill('c', 0, 512);
      expected.fill('C', 1024, 1536);
      assert.ok(flat.equals(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the raw base at the end of a qcow2 backing chain', () => {
    const chain = JSON.stringify([
      { filename: '/e/disk.qcow2', format: 'qcow2' },
      { filename: '/t/disk.qcow2', format: 'qcow2' },
      { filename: '/d/base.ext4', format: 'raw' },
    ]);
    assert.equal(rawBaseOfChain(chain), '/d/base.ext4');
    assert.equal(rawBaseOfChain(JSON.stringify([{ filename: '/e/x', format: 'qcow2' }])), undefined);
  });
});
