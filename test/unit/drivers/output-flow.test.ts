import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { OutputFlow } from '../../../src/drivers/vm/output-flow.js';
import { FrameType as F } from '../../../src/drivers/vm/guest-protocol.js';

class Sink extends EventEmitter {
  writableLength = 0;
}

test('OutputFlow pauses a session once its socket holds the limit, once, and resumes it on drain', () => {
  const sent: [number, number][] = [];
  const flow = new OutputFlow((t, s) => sent.push([t, s]), 100);
  const sink = new Sink();
  sink.writableLength = 99;
  flow.wrote(2, sink);
  assert.deepEqual(sent, []);
  sink.writableLength = 100;
  flow.wrote(2, sink);
  flow.wrote(2, sink);
  assert.deepEqual(sent, [[F.PAUSE, 2]]);
  assert.ok(flow.isPaused(2));
  sink.emit('drain');
  sink.emit('close');
  assert.deepEqual(sent, [
    [F.PAUSE, 2],
    [F.RESUME, 2],
  ]);
  assert.equal(sink.listenerCount('drain') + sink.listenerCount('close'), 0, 'no listener left behind');
});

test('OutputFlow resumes when the socket closes, and not at all for a session that ended', () => {
  const sent: [number, number][] = [];
  const flow = new OutputFlow((t, s) => sent.push([t, s]), 10);
  const a = new Sink();
  const b = new Sink();
  a.writableLength = b.writableLength = 50;
  flow.wrote(3, a);
  flow.wrote(4, b);
  a.emit('close');
  flow.ended(4);
  b.emit('drain');
  assert.deepEqual(sent, [
    [F.PAUSE, 3],
    [F.PAUSE, 4],
    [F.RESUME, 3],
  ]);
});
