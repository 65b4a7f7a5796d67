import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { awaitGo } from '../../../src/drivers/vm/monitor-park.js';

test('a parked monitor goes on "go", even when it arrives in pieces or with end of file', async () => {
  const a = new PassThrough();
  const pa = awaitGo(a, 60_000);
  a.end('go\n');
  assert.equal(await pa, true);
  const b = new PassThrough();
  const pb = awaitGo(b, 60_000);
  b.write('g');
  setImmediate(() => b.write('o\n'));
  assert.equal(await pb, true);
  assert.equal(b.isPaused(), true);
});

test('end of file, other input, a timeout or a removed directory end a parked monitor unused', async () => {
  // awaitGo's timers never hold a process alive (the real stdin does): this test holds it.
  const hold = setInterval(() => {}, 1000);
  const eof = new PassThrough();
  const p1 = awaitGo(eof, 60_000);
  eof.end();
  assert.equal(await p1, false);
  const other = new PassThrough();
  const p2 = awaitGo(other, 60_000);
  other.write('stop\n');
  assert.equal(await p2, false);
  const quiet = new PassThrough();
  assert.equal(await awaitGo(quiet, 20), false);
  let gone = false;
  const p4 = awaitGo(new PassThrough(), 60_000, () => gone);
  gone = true;
  assert.equal(await p4, false);
  clearInterval(hold);
});
