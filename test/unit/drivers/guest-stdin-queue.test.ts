/**
 * The guest init's stdin queue (native/init/stdin_queue.c) and its refill pacing
 * (native/init/stdin_pace.c), driven through native/build/tests/stdin-queue against a real pipe:
 * bytes leave in the order queued, a write stops at a full pipe, a gone reader is reported, spare
 * chunks stay bounded, and the wait before a refill follows the reader's pace (ADR 0081).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers/berth-cli.js';

const C_PROGRAM = join(REPO, 'native', 'build', 'tests', 'stdin-queue');

test('the guest init: stdin queue and refill pacing', () => {
  assert.ok(existsSync(C_PROGRAM), `${C_PROGRAM} is missing: run npm run build (make -C native)`);
  const r = spawnSync(C_PROGRAM, [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'ok: a write stops when the pipe is full',
    'ok: bulk chunks and appended bytes come out in the order queued',
    'ok: spare chunks are bounded',
    'ok: a gone reader is reported and the queue dropped',
    'ok: an empty bulk file queues nothing',
    "ok: the refill wait follows the reader's pace",
  ]);
});
