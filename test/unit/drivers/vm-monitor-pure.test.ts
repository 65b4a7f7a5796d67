import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootFailureReason } from '../../../src/drivers/vm/vm-monitor.js';
import { criRecords, criRecordBytes, criTime } from '../../../src/drivers/vm/cri-writer.js';
import { parseCriLine, rfc3339Nanos } from '../../../src/core/cri-log.js';

test('the reason a kernel did not boot comes from its console', () => {
  assert.equal(
    bootFailureReason('Linux version 6.1\nKernel panic - not syncing: Failed to allocate 3801088 bytes\n---[ end ]'),
    'kernel panic: Failed to allocate 3801088 bytes',
  );
  assert.equal(
    bootFailureReason('x\nberth-init: fatal: mount root /dev/ubda (ext4): Invalid argument\nreboot: System halted\n'),
    'berth-init: fatal: mount root /dev/ubda (ext4): Invalid argument',
  );
  assert.equal(
    bootFailureReason('Too few physical memory! Needed=1, given=0\n'),
    'Too few physical memory! Needed=1, given=0',
  );
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

test('criRecordBytes keeps the bytes: invalid UTF-8, NUL, a character split between chunks', () => {
  const t = '2026-01-01T00:00:00.000000001Z';
  const recs = Buffer.concat([
    criRecordBytes('stdout', Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x0a, 0xe2, 0x82]), t), // "€" cut after two bytes
    criRecordBytes('stdout', Buffer.from([0xac, 0x0a]), t),
  ]);
  const lines: Buffer[] = [];
  for (let s = 0, nl = recs.indexOf(10); nl >= 0; s = nl + 1, nl = recs.indexOf(10, s))
    lines.push(recs.subarray(s, nl));
  const data = lines.map((l) => l.subarray(`${t} stdout F `.length));
  assert.deepEqual(
    lines.map((l) => l.toString('latin1', t.length + 8, t.length + 9)),
    ['F', 'P', 'F'],
  );
  assert.deepEqual(
    Buffer.concat([data[0]!, Buffer.from('\n'), data[1]!, data[2]!, Buffer.from('\n')]),
    Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x0a, 0xe2, 0x82, 0xac, 0x0a]),
  );
  assert.equal(criRecordBytes('stdout', Buffer.alloc(0), t).length, 0);
});
