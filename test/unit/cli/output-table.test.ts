import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table } from '../../../src/cli/output.js';

test('table() of 300,000 rows (a busy store): no stack overflow, columns sized', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), 'x']);
  const out = table(['ID', 'NAME'], rows);
  assert.equal(out.split('\n')[0], 'ID       NAME');
  assert.equal(out.split('\n').at(-2), '299999   x');
});
