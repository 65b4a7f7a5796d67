/** Byte progress: the meter's reports and the terminal's lines (issue 16 item 6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transferMeter, type Transfer } from '../../../src/core/transfer.js';
import { TransferBoard, formatBytes } from '../../../src/cli/transfer-lines.js';

test('a meter reports the start, about every 1% of the total, and the end once', () => {
  const seen: Transfer[] = [];
  const m = transferMeter((t) => seen.push(t), 'sha256:ab', 'layer ab', 10_000_000);
  for (let i = 0; i < 1000; i++) m.add(10_000);
  m.finish();
  m.finish();
  assert.deepEqual(seen[0], { id: 'sha256:ab', label: 'layer ab', done: 0, total: 10_000_000 });
  assert.ok(seen.length >= 100 && seen.length <= 102, `${seen.length} reports`);
  assert.deepEqual(seen.at(-1), {
    id: 'sha256:ab',
    label: 'layer ab',
    done: 10_000_000,
    total: 10_000_000,
    finished: true,
  });
  assert.equal(seen.filter((t) => t.finished).length, 1);
  // No hook: nothing to do, nothing thrown.
  transferMeter(undefined, 'x', 'x').add(5);
});

test('the board shows bytes, total, percent and rate; a finished transfer leaves a line', () => {
  let now = 1000;
  const b = new TransferBoard(() => now);
  assert.equal(b.update({ id: 'a', label: 'layer 0123456789ab', done: 0, total: 2_000_000 }), undefined);
  now += 1000;
  b.update({ id: 'a', label: 'layer 0123456789ab', done: 1_000_000, total: 2_000_000 });
  b.update({ id: 'b', label: 'disk of busybox', done: 0 });
  assert.deepEqual(b.lines(), ['layer 0123456789ab  1.0 MB / 2.0 MB 50%  1.0 MB/s', 'disk of busybox  0 B']);
  now += 1000;
  assert.equal(
    b.update({ id: 'a', label: 'layer 0123456789ab', done: 2_000_000, total: 2_000_000, finished: true }),
    'layer 0123456789ab: 2.0 MB done, 1.0 MB/s',
  );
  assert.equal(b.lines().length, 1);
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(524_800), '524.8 kB');
  assert.equal(formatBytes(41_000_000), '41.0 MB');
});
