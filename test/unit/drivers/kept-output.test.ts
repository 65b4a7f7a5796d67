/**
 * ExecOptions.keepStreamed: a captured exec whose output goes to onStdout/onStderr need not also
 * hold it in its result (berth cp's tar, a served exec's stream). Both captured execs: the shim's
 * helper process (a real sh here) and the VM monitor's session (a fake client).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { runExecHelper } from '../../../src/drivers/shim/exec-io.js';
import { captureSession } from '../../../src/drivers/vm/vm-capture.js';
import { encodeExit, FrameType as F, type Frame } from '../../../src/drivers/vm/guest-protocol.js';
import type { VmClient } from '../../../src/drivers/vm/vm-client.js';
import type { ExecOptions } from '../../../src/drivers/driver.js';
import type { StartRequest } from '../../../src/drivers/vm/guest-protocol.js';

const base: ExecOptions = { tty: false, interactive: false, env: {}, stdio: 'pipe' };
const REQ: StartRequest = { argv: ['x'], env: [], cwd: '/', uid: 0, gid: 0, groups: [], tty: false, stdin: true };
const SCRIPT = 'head -c 300000 /dev/zero; echo oops >&2';

test('the shim helper: streamed stdout is left out of the result with keepStreamed false; stderr without a callback is kept', async () => {
  let streamed = 0;
  const r = await runExecHelper('sh', ['-c', SCRIPT], {
    ...base,
    keepStreamed: false,
    onStdout: (c) => {
      streamed += c.length;
    },
  });
  assert.equal(r.exitCode, 0);
  assert.equal(streamed, 300000);
  assert.equal(r.stdout?.length, 0);
  assert.equal(r.stderr?.toString(), 'oops\n');
});

test('the shim helper: by default the result still holds what was streamed', async () => {
  let streamed = 0;
  const r = await runExecHelper('sh', ['-c', SCRIPT], {
    ...base,
    onStdout: (c) => {
      streamed += c.length;
    },
  });
  assert.equal(streamed, 300000);
  assert.equal(r.stdout?.length, 300000);
});

/** A monitor session that answers START with FRAMES, then EXIT 0. */
function fakeClient(frames: [number, Buffer][]): VmClient {
  const listeners = new Set<(f: Frame) => void>();
  const sock = Object.assign(new EventEmitter(), { destroyed: false });
  const emit = (type: number, payload: Buffer) => {
    for (const l of listeners) l({ type, session: 1, payload });
  };
  return {
    sock,
    on(l: (f: Frame) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    send(type: number) {
      if (type === F.START)
        setImmediate(() => {
          for (const [t, p] of frames) emit(t, p);
          emit(F.EXIT, encodeExit({ exitCode: 0, signal: 0 }));
        });
      return true;
    },
    close() {},
  } as unknown as VmClient;
}

test('the VM session: streamed stdout and stderr are left out of the result with keepStreamed false', async () => {
  const frames: [number, Buffer][] = [
    [F.STDOUT, Buffer.alloc(1000, 1)],
    [F.STDERR, Buffer.from('err')],
    [F.STDOUT, Buffer.alloc(500, 2)],
  ];
  let out = 0;
  let err = 0;
  const r = await captureSession(fakeClient(frames), REQ, {
    ...base,
    keepStreamed: false,
    onStdout: (c) => {
      out += c.length;
    },
    onStderr: (c) => (err += c.length),
  });
  assert.deepEqual([out, err], [1500, 3]);
  assert.equal(r.stdout?.length, 0);
  assert.equal(r.stderr?.length, 0);
  const kept = await captureSession(fakeClient(frames), REQ, {
    ...base,
    onStdout: () => undefined,
  });
  assert.equal(kept.stdout?.length, 1500);
  assert.equal(kept.stderr?.toString(), 'err');
});
