import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diskLayout, diskSizeKernelArg } from '../../../src/disks/env-disk.js';

const G = 1024 ** 3;

test('no --disk-size: the default base as it is', () => {
  assert.deepEqual(diskLayout('microvm', undefined, G), { diskBytes: G });
  assert.deepEqual(diskLayout('uml', undefined, G), { diskBytes: G });
});

test('microvm grows a qcow2 over the default base; smaller sizes get their own base', () => {
  assert.deepEqual(diskLayout('microvm', 4 * G, G), { diskBytes: 4 * G });
  assert.deepEqual(diskLayout('microvm', G / 2, G), { exactBaseBytes: G / 2, diskBytes: G / 2 });
  assert.deepEqual(diskLayout('microvm', G, G), { diskBytes: G });
});

test("uml: a COW file has its base's size, so any other size is its own base", () => {
  assert.deepEqual(diskLayout('uml', 4 * G, G), { exactBaseBytes: 4 * G, diskBytes: 4 * G });
  assert.deepEqual(diskLayout('uml', G / 2, G), { exactBaseBytes: G / 2, diskBytes: G / 2 });
});

test('sizes round up to the 4 KiB block', () => {
  assert.deepEqual(diskLayout('uml', 100_000_001, G), { exactBaseBytes: 100_003_840, diskBytes: 100_003_840 });
});

test('kernel argument', () => {
  assert.equal(diskSizeKernelArg(4 * G), 'berth.disk_size=4294967296');
});
