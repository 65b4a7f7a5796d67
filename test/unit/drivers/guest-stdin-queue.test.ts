/**
 * The guest init's stdin queue (native/init/stdin_queue.c) and its refill pacing
 * (native/init/stdin_pace.c), driven through native/build/tests/stdin-queue against a real pipe:
 * bytes leave in the order queued, a write stops at a full pipe, a gone reader is reported, spare
 * chunks stay bounded, and the wait before a refill follows the reader's pace (ADR 0081).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeTestLines } from '../../helpers/native-test-program.js';

test('the guest init: stdin queue and refill pacing', () => {
  assert.deepEqual(nativeTestLines('stdin-queue'), [
    'ok: a write stops when the pipe is full',
    'ok: bulk chunks and appended bytes come out in the order queued',
    'ok: spare chunks are bounded',
    'ok: a gone reader is reported and the queue dropped',
    'ok: an empty bulk file queues nothing',
    "ok: the refill wait follows the reader's pace",
  ]);
});
