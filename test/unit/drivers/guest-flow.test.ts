import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestFlow } from '../../../src/drivers/vm/guest-flow.js';

test('GuestFlow keeps at most the window in flight, cutting frames, and goes on as acks arrive', () => {
  const written: Buffer[] = [];
  const flow = new GuestFlow((b) => written.push(b), 10);
  flow.send(Buffer.from('abcdef'));
  flow.send(Buffer.from('ghijklmnop'));
  assert.equal(Buffer.concat(written).toString(), 'abcdefghij');
  assert.equal(flow.pending, 6);
  flow.acked(4);
  assert.equal(Buffer.concat(written).toString(), 'abcdefghijklmn');
  flow.acked(100);
  assert.equal(Buffer.concat(written).toString(), 'abcdefghijklmnop');
  assert.equal(flow.pending, 0);
  flow.send(Buffer.alloc(0));
  assert.equal(written.length, 4);
});

test('GuestFlow tells when fewer than a given number of bytes wait', () => {
  const flow = new GuestFlow(() => undefined, 4);
  const calls: string[] = [];
  flow.send(Buffer.alloc(20));
  assert.equal(flow.pending, 16);
  flow.whenPendingBelow(100, () => calls.push('now'));
  flow.whenPendingBelow(10, () => calls.push('later'));
  assert.deepEqual(calls, ['now']);
  flow.acked(4);
  assert.deepEqual(calls, ['now']);
  flow.acked(4);
  assert.equal(flow.pending, 8);
  assert.deepEqual(calls, ['now', 'later']);
});

test('GuestFlow in stream mode (no window) writes until the socket is full and goes on when it drains', () => {
  const written: Buffer[] = [];
  let room = 2;
  const flow = new GuestFlow((b) => {
    written.push(b);
    return --room > 0;
  }, Number.POSITIVE_INFINITY);
  const waited: string[] = [];
  flow.send(Buffer.alloc(1 << 20));
  flow.send(Buffer.alloc(1 << 20));
  flow.send(Buffer.alloc(5));
  assert.equal(written.length, 2, 'the second write filled the socket');
  assert.equal(flow.pending, 5);
  flow.whenPendingBelow(1, () => waited.push('drained'));
  flow.acked(1 << 30); // ACKs mean nothing without a window
  assert.equal(written.length, 2);
  room = 10;
  flow.drained();
  assert.equal(written.length, 3);
  assert.equal(flow.pending, 0);
  assert.deepEqual(waited, ['drained']);
});

test('GuestFlow with a window also stops at a full socket', () => {
  const written: Buffer[] = [];
  const flow = new GuestFlow((b) => written.push(b) < 1, 100);
  flow.send(Buffer.alloc(10));
  flow.send(Buffer.alloc(10));
  assert.equal(written.length, 1);
  flow.drained();
  assert.equal(written.length, 2);
});

test('GuestFlow drops the queued input of a session, but finishes a frame it has begun', () => {
  const written: Buffer[] = [];
  const flow = new GuestFlow((b) => written.push(b), 4);
  flow.send(Buffer.from('aaaaaa'), 2);
  flow.send(Buffer.from('bb'), 3);
  flow.send(Buffer.from('cccc'), 2);
  flow.send(Buffer.from('dd'));
  assert.equal(Buffer.concat(written).toString(), 'aaaa');
  flow.drop(2);
  assert.equal(flow.pending, 6, "the rest of the cut frame, session 3's and the unowned one stay");
  flow.acked(4);
  flow.acked(4);
  assert.equal(Buffer.concat(written).toString(), 'aaaaaabbdd');
});
