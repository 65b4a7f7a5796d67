import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionHolds, reaperArgv } from '../../../src/api/session.js';

test("session holds: '1' for every hold, '0' only when the last is released", () => {
  const h = new SessionHolds();
  assert.equal(h.take(), '1');
  assert.equal(h.take(), '1');
  assert.equal(h.release(), undefined, 'one environment is still held');
  assert.equal(h.release(), '0');
  assert.equal(h.take(), '1', 'a new environment after a clean point says so again');
  assert.equal(h.release(), '0');
  assert.equal(h.release(), '0', 'an extra release cannot go below none');
  assert.equal(h.take(), '1');
  assert.equal(h.release(), '0', 'and is not owed by a later hold');
});

test("session holds: pinned (a caller that never releases) never says '0'", () => {
  const h = new SessionHolds();
  assert.equal(h.take(), '1');
  assert.equal(h.pin(), '1');
  assert.equal(h.release(), undefined);
  assert.equal(h.take(), '1');
  assert.equal(h.release(), undefined);
});

test('reaper argv: the native waiter in front of berth __reap when the shim is built, else berth __reap alone', () => {
  assert.deepEqual(
    reaperArgv('/usr/bin/node', '/opt/berth/dist/berth.cjs', 'abc', '/opt/berth/native/bin/berth-shim'),
    [
      '/opt/berth/native/bin/berth-shim',
      'reap-wait',
      '--',
      '/usr/bin/node',
      '/opt/berth/dist/berth.cjs',
      '__reap',
      'abc',
    ],
  );
  assert.deepEqual(reaperArgv('/usr/bin/node', '/b.cjs', 'abc', undefined), [
    '/usr/bin/node',
    '/b.cjs',
    '__reap',
    'abc',
  ]);
});
