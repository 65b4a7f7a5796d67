import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCriLine, tailRecords, recordText } from '../../../src/core/cri-log.js';

test('parses CRI log lines, keeping spaces in the text', () => {
  assert.deepEqual(parseCriLine('2026-01-01T00:00:00.000000001Z stdout F hello  world'), {
    time: '2026-01-01T00:00:00.000000001Z', stream: 'stdout', partial: false, text: 'hello  world',
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
  assert.deepEqual(tailRecords(recs, 1).map((r) => r.text), ['d']);
  assert.deepEqual(tailRecords(recs, 2).map((r) => r.text), ['c', 'd']);
  assert.deepEqual(tailRecords(recs, 3).map((r) => r.text), ['b1', 'b2', 'c', 'd']);
  assert.deepEqual(tailRecords(recs, 0), []);
  assert.equal(tailRecords(recs, -1).length, 5);
  assert.equal(recs.map(recordText).join(''), 'a\nb1b2\nc\nd');
});
