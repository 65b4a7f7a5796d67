/**
 * A captured exec's output at its caller's pace: an onStdout that returns a promise holds the
 * command's output back until it settles (the shim helper's pipe is not read meanwhile), and
 * writeOrWait gives that promise for a stream whose buffer is full. `berth cp ENV:PATH -` and the
 * Docker API's GET archive write a tar this way to a reader that may be slow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runExecHelper } from '../../../src/drivers/shim/exec-io.js';
import { outputHold } from '../../../src/drivers/common/output-hold.js';
import { writeOrWait } from '../../../src/core/write-or-wait.js';
import type { ExecOptions } from '../../../src/drivers/driver.js';

const base: ExecOptions = { tty: false, interactive: false, env: {}, stdio: 'pipe', keepStreamed: false };
const MiB = 1024 * 1024;

for (const stream of ['stdout', 'stderr'] as const) {
  test(`the shim helper reads no more ${stream} while its callback holds it, and all of it once released`, async () => {
    let taken = 0;
    let release!: () => void;
    const held = new Promise<void>((res) => {
      release = res;
    });
    let first = true;
    const take = (c: Buffer) => {
      taken += c.length;
      if (!first) return;
      first = false;
      return held;
    };
    const running = runExecHelper('sh', ['-c', `head -c ${8 * MiB} /dev/zero${stream === 'stderr' ? ' >&2' : ''}`], {
      ...base,
      ...(stream === 'stdout' ? { onStdout: take } : { onStderr: take }),
    });
    await sleep(300);
    // One read's worth (the pipe's 64 KiB at most), not the 8 MiB the command has to write.
    assert.ok(taken > 0 && taken <= 256 * 1024, `taken while held: ${taken} bytes`);
    release();
    const r = await running;
    assert.equal(r.exitCode, 0);
    assert.equal(taken, 8 * MiB);
  });
}

test('outputHold pauses its source once for overlapping holds and resumes when the last settles', async () => {
  const calls: string[] = [];
  const hold = outputHold({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  let a!: () => void;
  let b!: () => void;
  hold(new Promise<void>((res) => (a = res)));
  hold(new Promise<void>((res) => (b = res)));
  hold(undefined);
  hold(3); // a callback's stray return value is no hold
  assert.deepEqual(calls, ['pause']);
  a();
  await sleep(0);
  assert.deepEqual(calls, ['pause']);
  b();
  await sleep(0);
  assert.deepEqual(calls, ['pause', 'resume']);
});

test('writeOrWait: undefined while the stream takes more; a promise settled by drain, close or error', async () => {
  const chunks: Buffer[] = [];
  let next: (() => void) | undefined;
  const slow = new Writable({
    highWaterMark: 4,
    write(c: Buffer, _enc, cb) {
      chunks.push(c);
      next = cb;
    },
  });
  assert.equal(writeOrWait(slow, Buffer.from('ab')), undefined);
  const wait = writeOrWait(slow, Buffer.from('cdef'));
  assert.ok(wait instanceof Promise, 'a full stream asks the writer to wait');
  let drained = false;
  void wait.then(() => (drained = true));
  await sleep(0);
  assert.equal(drained, false);
  next?.();
  await sleep(0);
  next?.();
  await wait;
  assert.equal(Buffer.concat(chunks).toString(), 'abcdef');

  const gone = new Writable({ highWaterMark: 1, write: () => {} });
  const pending = writeOrWait(gone, Buffer.from('xy'));
  assert.ok(pending instanceof Promise);
  gone.destroy();
  await pending; // settled by close: a client that went does not hold the command forever
  assert.equal(writeOrWait(gone, Buffer.from('z')), undefined, 'a destroyed stream drops the chunk');
});
