import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseStatStartTime,
  parseStatState,
  isProcessAlive,
  processStartTime,
} from '../../../src/core/process-identity.js';

test('start time survives a command name with spaces and parens', () => {
  const stat = '1234 (we (ird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100';
  assert.equal(parseStatStartTime(stat), 98765);
  assert.equal(parseStatState(stat), 'S');
});

test('our own process is alive with its start time and not with another', () => {
  const start = processStartTime(process.pid);
  assert.ok(start && start > 0);
  assert.equal(isProcessAlive(process.pid, start), true);
  assert.equal(isProcessAlive(process.pid, start! + 1), false);
  assert.equal(isProcessAlive(0), false);
});
