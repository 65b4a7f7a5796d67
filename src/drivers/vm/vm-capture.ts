/**
 * A VM exec with ExecOptions.stdio 'pipe' (the library's captured exec): stdin is `input` (then
 * EOF; with a TTY the terminal ignores it, and `hangup` ends a shell), stdout and stderr are collected apart and streamed to onStdout/onStderr, and a timeout
 * sends TERM, then KILL 2 s later, through the guest protocol. The counterpart of
 * src/drivers/shim/exec-io.ts for the backends whose exec goes through the VM monitor.
 */
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import type { ExecOptions, ExitResult } from '../driver.js';
import {
  FrameType as F,
  MAX_PAYLOAD,
  decodeExit,
  encodeResize,
  encodeStart,
  encodeU32,
  type StartRequest,
} from './guest-protocol.js';
import { exitResult, type VmClient } from './vm-client.js';
import { keptOutput } from '../common/kept-output.js';
import { releaseChunk } from '../common/recycled-chunks.js';
import { outputHold } from '../common/output-hold.js';

const SESSION = 1;
const KILL_GRACE_MS = 2_000;

export function captureSession(c: VmClient, req: StartRequest, opts: ExecOptions): Promise<ExitResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  return new Promise<ExitResult>((resolve) => {
    let finished = false;
    let stopInput = () => {};
    const finish = (r: ExitResult) => {
      if (finished) return;
      finished = true;
      stopInput();
      for (const t of timers) clearTimeout(t);
      off();
      c.sock.off('close', onClose);
      c.close();
      resolve({ ...r, stdout: Buffer.concat(out), stderr: Buffer.concat(err), ...(timedOut ? { timedOut } : {}) });
    };
    const keep = keptOutput(opts);
    // The monitor holds the guest's output, both streams, back while this socket is not read (its window).
    const hold = outputHold(c.sock);
    const off = c.on((f) => {
      if (f.session !== SESSION) return;
      if (f.type === F.STDOUT) {
        if (keep.stdout) out.push(f.payload);
        hold(opts.onStdout?.(f.payload));
      } else if (f.type === F.STDERR) {
        if (keep.stderr) err.push(f.payload);
        hold(opts.onStderr?.(f.payload));
      } else if (f.type === F.EXIT) {
        const e = decodeExit(f.payload);
        if (e.error && e.exitCode !== 0) err.push(Buffer.from(`berth: ${e.error}\n`));
        finish(exitResult(e));
      }
    });
    const onClose = () => finish({ exitCode: 125 });
    c.sock.once('close', onClose);
    // With a TTY the command gets the guest's pty (stdout and stderr are both its output), sized
    // as the caller's terminal says, and resized when it says so.
    const size = opts.tty ? (opts.terminal?.current() ?? { rows: 24, cols: 80 }) : undefined;
    c.send(F.START, SESSION, encodeStart({ ...req, tty: opts.tty, stdin: true, ...(size ?? {}) }));
    /** False when the socket's buffer is full (see VmClient.send). */
    const sendInput = (input: Buffer, written?: () => void) => {
      let more = true;
      for (let at = 0; at < input.length; at += MAX_PAYLOAD) {
        const last = at + MAX_PAYLOAD >= input.length;
        more = c.send(F.STDIN, SESSION, input.subarray(at, at + MAX_PAYLOAD), last ? written : undefined);
      }
      return more;
    };
    const eof = () => c.send(F.STDIN, SESSION, Buffer.alloc(0));
    if (opts.input instanceof Readable) {
      // A stream is passed on as it comes, no further ahead of the monitor than the socket's
      // buffer (the monitor takes it at the guest's pace); EOF when it ends (not after the command has ended).
      const input = opts.input;
      // A chunk of a file read into reused buffers goes back once the socket has sent it.
      const onData = (chunk: Buffer) => {
        if (sendInput(chunk, () => releaseChunk(chunk)) || c.sock.destroyed) return;
        input.pause();
        c.sock.once('drain', () => {
          if (!finished) input.resume();
        });
      };
      const onEnd = () => {
        if (!finished) eof();
      };
      input.on('data', onData);
      input.once('end', onEnd);
      stopInput = () => {
        input.off('data', onData);
        input.off('end', onEnd);
      };
    } else {
      sendInput(typeof opts.input === 'string' ? Buffer.from(opts.input) : (opts.input ?? Buffer.alloc(0)));
      eof();
    }
    if (opts.hangup) {
      const hangup = () => {
        if (!finished) c.send(F.SIGNAL, SESSION, encodeU32(constants.signals.SIGHUP));
      };
      opts.hangup.addEventListener('abort', hangup, { once: true });
      const before = stopInput;
      stopInput = () => {
        before();
        opts.hangup?.removeEventListener('abort', hangup);
      };
    }
    if (opts.tty && opts.terminal) {
      const unsubscribe = opts.terminal.subscribe((s) => {
        if (!finished) c.send(F.RESIZE, SESSION, encodeResize(s.rows, s.cols));
      });
      const before = stopInput;
      stopInput = () => {
        before();
        unsubscribe();
      };
    }
    if (opts.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          c.send(F.SIGNAL, SESSION, encodeU32(constants.signals.SIGTERM));
          timers.push(setTimeout(() => c.send(F.SIGNAL, SESSION, encodeU32(constants.signals.SIGKILL)), KILL_GRACE_MS));
        }, opts.timeoutMs),
      );
    }
  });
}
