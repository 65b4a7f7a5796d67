import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GIB,
  MIB,
  defaultBytes,
  formatSize,
  inodeCount,
  journalBytes,
  minimumBytes,
} from '../../../src/disks/disk-size.js';

test('minimum covers data, inodes and journal, rounded to MiB', () => {
  const m = minimumBytes({ bytes: 2 * MIB, inodes: 450 });
  assert.equal(m % MIB, 0);
  assert.ok(m >= 2 * MIB * 1.1 + 4 * MIB, `${m}`);
  assert.ok(m < 16 * MIB, `a 2 MiB image needs no more than a few MiB: ${m}`);
  const big = minimumBytes({ bytes: 300 * MIB, inodes: 12000 });
  assert.ok(big >= 330 * MIB + journalBytes(big), `${big}`);
});

test('minimum grows with the content', () => {
  assert.ok(minimumBytes({ bytes: 100 * MIB, inodes: 10 }) < minimumBytes({ bytes: 200 * MIB, inodes: 10 }));
  assert.ok(minimumBytes({ bytes: MIB, inodes: 10 }) < minimumBytes({ bytes: MIB, inodes: 100000 }));
});

test('default is at least 1 GiB and twice the minimum, in 256 MiB steps', () => {
  assert.equal(defaultBytes({ bytes: MIB, inodes: 100 }), GIB);
  const c = { bytes: 900 * MIB, inodes: 30000 };
  const d = defaultBytes(c);
  assert.ok(d >= 2 * minimumBytes(c));
  assert.equal(d % (256 * MIB), 0);
});

test('journal size follows mke2fs', () => {
  assert.equal(journalBytes(4 * MIB), 0);
  // Measured with mke2fs 1.47 (dumpe2fs -h): 64M -> 4096k, 1G -> 32M, 8G -> 64M, 64G -> 512M.
  assert.equal(journalBytes(64 * MIB), 4 * MIB);
  assert.equal(journalBytes(GIB), 32 * MIB);
  assert.equal(journalBytes(8 * GIB), 64 * MIB);
  assert.equal(journalBytes(64 * GIB), 512 * MIB);
  assert.equal(journalBytes(1024 * GIB), GIB);
});

test('inode count: the size default unless the image needs more', () => {
  assert.equal(inodeCount(GIB, 100), 65536);
  assert.equal(inodeCount(16 * MIB, 5000), Math.ceil(5000 * 1.25) + 1024);
});

test('formatSize', () => {
  assert.equal(formatSize(GIB), '1G');
  assert.equal(formatSize(1.5 * GIB), '1.5G');
  assert.equal(formatSize(7 * MIB), '7M');
  assert.equal(formatSize(12 * 1024), '12K');
  assert.equal(formatSize(100), '100B');
});
