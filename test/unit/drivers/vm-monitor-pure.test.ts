import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootFailureReason } from '../../../src/drivers/shared/vm-monitor.js';
import { criRecords, criTime } from '../../../src/drivers/shared/cri-writer.js';
import { parseCriLine, rfc3339Nanos } from '../../../src/core/cri-log.js';

test('the reason a kernel did not boot comes from its console', () => {
  assert.equal(bootFailureReason('Linux version 6.1\nKernel panic - not syncing: Failed to allocate 3801088 bytes\n---[ end ]'), 'kernel panic: Failed to allocate 3801088 bytes');
  assert.equal(bootFailureReason('x\nberth-init: fatal: mount root /dev/ubda (ext4): Invalid argument\nreboot: System halted\n'), 'berth-init: fatal: mount root /dev/ubda (ext4): Invalid argument');
  assert.equal(bootFailureReason('Too few physical memory! Needed=1, given=0\n'), 'Too few physical memory! Needed=1, given=0');
  assert.equal(bootFailureReason(''), 'no console output');
});

test('CRI records as the native monitor writes them: F for lines, P for a partial chunk', () => {
  const t = criTime(Date.UTC(2026, 10, 27, 1, 2, 3, 456), 789123n);
  assert.equal(t, '2026-11-27T01:02:03.456789123Z');
  assert.ok(rfc3339Nanos(t));
  const text = criRecords('stderr', 'one\ntwo\npart', t);
  assert.equal(text, `${t} stderr F one\n${t} stderr F two\n${t} stderr P part\n`);
  assert.deepEqual(parseCriLine(text.split('\n')[2]!), { time: t, stream: 'stderr', partial: true, text: 'part' });
  assert.equal(criRecords('stdout', '', t), '');
  assert.equal(criRecords('stdout', '\n', t), `${t} stdout F \n`);
});
