import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseCriLine,
  tailRecords,
  recordText,
  parseSince,
  rfc3339Nanos,
  sinceRecords,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_LOG_MAX_FILES,
} from '../../../src/core/cri-log.js';

test('parses CRI log lines, keeping spaces in the text', () => {
  assert.deepEqual(parseCriLine('2026-01-01T00:00:00.000000001Z stdout F hello  world'), {
    time: '2026-01-01T00:00:00.000000001Z',
    stream: 'stdout',
    partial: false,
    text: 'hello  world',
  });
  assert.equal(parseCriLine('2026-01-01T00:00:00Z stderr P ')?.partial, true);
  assert.equal(parseCriLine('garbage'), undefined);
  assert.equal(parseCriLine('t stdin F x'), undefined);
});

test('tail counts lines, joining partial chunks', () => {
  const recs = ['a F', 'b1 P', 'b2 F', 'c F', 'd P'].map((s, i) => {
    const [text, tag] = s.split(' ');
    return { time: String(i), stream: 'stdout' as const, partial: tag === 'P', text: text! };
  });
  assert.deepEqual(
    tailRecords(recs, 1).map((r) => r.text),
    ['d'],
  );
  assert.deepEqual(
    tailRecords(recs, 2).map((r) => r.text),
    ['c', 'd'],
  );
  assert.deepEqual(
    tailRecords(recs, 3).map((r) => r.text),
    ['b1', 'b2', 'c', 'd'],
  );
  assert.deepEqual(tailRecords(recs, 0), []);
  assert.equal(tailRecords(recs, -1).length, 5);
  assert.equal(recs.map(recordText).join(''), 'a\nb1b2\nc\nd');
});

test('log rotation defaults are Docker-like: 10 MiB, 3 files', () => {
  assert.equal(DEFAULT_LOG_MAX_BYTES, 10 * 1024 * 1024);
  assert.equal(DEFAULT_LOG_MAX_FILES, 3);
});

test('RFC3339 times to nanoseconds, validated', () => {
  assert.equal(rfc3339Nanos('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
  assert.equal(
    rfc3339Nanos('2026-11-26T21:49:12.123456789Z'),
    BigInt(Date.parse('2026-11-26T21:49:12Z')) * 1_000_000n + 123_456_789n,
  );
  assert.equal(rfc3339Nanos('2026-11-26T23:49:12.5+02:00'), rfc3339Nanos('2026-11-26T21:49:12.500000000Z'));
  assert.equal(rfc3339Nanos('2026-11-26T21:49:12-01:30'), rfc3339Nanos('2026-11-26T23:19:12Z'));
  for (const bad of [
    '',
    'yesterday',
    '2026-02-30T00:00:00Z',
    '2026-11-26T25:00:00Z',
    '2026-11-26',
    '2026-11-26T21:49:12',
    '2026-11-26T21:49:12.1234567890Z',
  ]) {
    assert.equal(rfc3339Nanos(bad), undefined, bad);
  }
});

test('--since: RFC3339, Unix time or a duration before now', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  const iso = (s: string) => parseSince(s, now)?.toISOString();
  assert.equal(iso('10s'), '2026-11-26T11:59:50.000Z');
  assert.equal(iso('5m'), '2026-11-26T11:55:00.000Z');
  assert.equal(iso('2h'), '2026-11-26T10:00:00.000Z');
  assert.equal(iso('1h30m'), '2026-11-26T10:30:00.000Z');
  assert.equal(iso('1.5h'), '2026-11-26T10:30:00.000Z');
  assert.equal(iso('250ms'), '2026-11-26T11:59:59.750Z');
  assert.equal(iso('0s'), '2026-11-26T12:00:00.000Z');
  assert.equal(iso('2026-01-02T15:04:05Z'), '2026-01-02T15:04:05.000Z');
  assert.equal(iso('2026-01-02T15:04:05.123456789+01:00'), '2026-01-02T14:04:05.123Z');
  assert.equal(iso('1767366245'), '2026-01-02T15:04:05.000Z');
  assert.equal(iso('1767366245.5'), '2026-01-02T15:04:05.500Z');
  for (const bad of ['', 'x', '5 m', '-5m', '5d', 'm', '2026-13-01T00:00:00Z', '10s ago']) {
    assert.equal(parseSince(bad, now), undefined, bad);
  }
});

test('since keeps records at or after the time, to the nanosecond', () => {
  const rec = (time: string) => ({ time, stream: 'stdout' as const, partial: false, text: time });
  const recs = [
    '2026-01-01T00:00:00.999999999Z',
    '2026-01-01T00:00:01.000000000Z',
    '2026-01-01T00:00:01.000000001Z',
    'garbage',
    '2026-01-01T02:00:00.5+01:00',
  ].map(rec);
  assert.deepEqual(
    sinceRecords(recs, new Date('2026-01-01T00:00:01Z')).map((r) => r.text),
    ['2026-01-01T00:00:01.000000000Z', '2026-01-01T00:00:01.000000001Z', '2026-01-01T02:00:00.5+01:00'],
  );
  assert.equal(sinceRecords(recs, new Date('2026-01-01T01:00:00.501Z')).length, 0);
});
