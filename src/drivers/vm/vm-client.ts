/**
 * The CLI side of a VM monitor's socket: attach to the environment's command or run an exec
 * session, relaying stdin/stdout/stderr, the terminal (raw mode, size, Ctrl-P Ctrl-Q) and
 * signals; the exit status comes back in an EXIT frame.
 */
import { connect, type Socket } from 'node:net';
import { constants } from 'node:os';
import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import {
  FrameDecoder,
  FrameType as F,
  encodeFrame,
  frameHeader,
  MAX_PAYLOAD,
  encodeResize,
  encodeStart,
  encodeU32,
  decodeExit,
  type Frame,
  type StartRequest,
  type ExitPayload,
} from './guest-protocol.js';
import type { ExitResult } from '../driver.js';
import { signalName } from '../common/spawn-wait.js';
import { RecycledFileStream, releaseChunk } from '../common/recycled-chunks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SESSION = 1;

/**
 * The exec's input: a regular file is read in frames of MAX_PAYLOAD (sixteen times fewer reads and
 * frames than stdin's 64 KiB chunks; a file read never blocks, so nothing waits on it at exit),
 * into buffers used again once the socket has sent them (recycled-chunks.ts);
 * a pipe, socket or terminal is process.stdin.
 */
function inputStream(): NodeJS.ReadStream | Readable {
  try {
    if (fstatSync(0).isFile()) return new RecycledFileStream(0, { chunk: MAX_PAYLOAD, autoClose: false });
  } catch {
    /* no stdin at all: process.stdin says so */
  }
  return process.stdin;
}

export class VmClient {
  private readonly decoder = new FrameDecoder();
  private readonly listeners = new Set<(f: Frame) => void>();
  private closed = false;
  private readonly closeWaiters = new Set<() => void>();

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      for (const f of this.decoder.push(d)) for (const l of [...this.listeners]) l(f);
    });
    sock.on('error', () => {
      /* close follows */
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
    });
  }

  /** Connect, retrying while the monitor is still coming up (`alive` says whether it can). */
  static async connect(path: string, alive: () => boolean, timeoutMs = 30_000): Promise<VmClient> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
      const sock = await new Promise<Socket | undefined>((res) => {
        const s = connect(path);
        s.once('connect', () => res(s));
        s.once('error', () => res(undefined));
      });
      if (sock) return new VmClient(sock);
      if (!alive() || Date.now() > deadline) throw new Error(`cannot reach the VM monitor at ${path}`);
      await sleep(delay);
    }
  }

  /**
   * False when the socket's buffer is full: wait for its 'drain' before sending more data. A large
   * payload goes out behind its header in one writev, not copied into a frame first (the caller
   * must not reuse it until WRITTEN is called, once the socket is done with it).
   */
  send(type: number, session: number, payload?: Buffer, written?: () => void): boolean {
    if (this.sock.destroyed) return false;
    if (!payload || payload.length < 4096) return this.sock.write(encodeFrame(type, session, payload), written);
    if (payload.length > MAX_PAYLOAD)
      throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
    this.sock.cork();
    this.sock.write(frameHeader(type, session, payload.length));
    const more = this.sock.write(payload, written);
    this.sock.uncork();
    return more;
  }

  on(l: (f: Frame) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The first frame matching `pick`, or undefined when the monitor closes the socket first. */
  waitFor<T>(pick: (f: Frame) => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(undefined);
      const done = (v: T | undefined) => {
        off();
        this.closeWaiters.delete(onClose);
        resolve(v);
      };
      const off = this.on((f) => {
        const v = pick(f);
        if (v !== undefined) done(v);
      });
      const onClose = () => done(undefined);
      this.closeWaiters.add(onClose);
    });
  }

  close(): void {
    this.sock.end();
  }
}

export function exitResult(e: ExitPayload): ExitResult {
  const sig = e.signal ? signalName(e.signal) : undefined;
  return { exitCode: e.exitCode, ...(sig ? { signal: sig } : {}), ...(e.oomKilled ? { oomKilled: true } : {}) };
}

export interface RelayOptions {
  tty: boolean;
  interactive: boolean;
  /** Watch stdin for Ctrl-P Ctrl-Q (attached -it runs). */
  detachKeys: boolean;
  /** Whether an error in the EXIT frame is printed (a boot failure is thrown by the caller instead). */
  printErrors: () => boolean;
  /**
   * An exec: after a SIGINT or SIGTERM is passed on, a second one, or no exit within
   * SIGNAL_GRACE_MS (a paused or rewound guest cannot answer), ends this side with 128+n; the
   * monitor then kills the session. An attached run waits for its command as long as it takes.
   */
  endOnSignal?: boolean;
}

const SIGNAL_GRACE_MS = 5_000;

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Relay our stdio to session 1 of this connection until its EXIT (or a detach). Output frames
 * that arrive before the relay starts are not lost: the caller starts it right after ATTACH/START.
 */
export function relay(c: VmClient, o: RelayOptions): Promise<ExitResult> {
  const cleanups: (() => void)[] = [];
  const stdinIsTty = isatty(0);
  return new Promise<ExitResult>((resolve) => {
    let finished = false;
    const finish = (r: ExitResult) => {
      if (finished) return;
      finished = true;
      for (const f of cleanups.splice(0).reverse()) f();
      resolve(r);
    };
    cleanups.push(
      c.on((f) => {
        if (f.session !== SESSION) return;
        if (f.type === F.STDOUT || f.type === F.STDERR) {
          // A slow reader of our output: read no more from the monitor until it has caught up
          // (the monitor then pauses the command's output in the guest: no buffer grows).
          const out = f.type === F.STDOUT ? process.stdout : process.stderr;
          if (!out.write(f.payload) && !c.sock.isPaused()) {
            c.sock.pause();
            out.once('drain', () => c.sock.resume());
          }
        } else if (f.type === F.EXIT) {
          const e = decodeExit(f.payload);
          if (e.error && e.exitCode !== 0 && o.printErrors()) process.stderr.write(`berth: ${e.error}\n`);
          finish(exitResult(e));
        }
      }),
    );
    const onClose = () => finish({ exitCode: 125 });
    c.sock.once('close', onClose);
    cleanups.push(() => c.sock.off('close', onClose));
    // Our stdout closed (`berth exec ... | head`): the command in the guest gets SIGPIPE, as it would
    // writing to a closed pipe of its own, instead of this process dying of an unhandled EPIPE.
    for (const out of [process.stdout, process.stderr]) {
      const onOutError = (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') c.send(F.SIGNAL, SESSION, encodeU32(constants.signals.SIGPIPE));
      };
      out.on('error', onOutError);
      cleanups.push(() => out.off('error', onOutError));
    }

    if (o.interactive) {
      const stdin = inputStream();
      if (o.tty && stdinIsTty) {
        (stdin as NodeJS.ReadStream).setRawMode(true);
        cleanups.push(() => (stdin as NodeJS.ReadStream).setRawMode(false));
      }
      let sawCtrlP = false;
      const onData = (d: Buffer) => {
        if (o.detachKeys && o.tty) {
          for (const byte of d) {
            if (sawCtrlP && byte === 0x11) {
              c.send(F.DETACH, SESSION);
              finish({ exitCode: 0, detached: true });
              return;
            }
            sawCtrlP = byte === 0x10;
          }
        }
        // The monitor takes input as fast as the guest does: read no further ahead of it.
        if (!c.send(F.STDIN, SESSION, d, () => releaseChunk(d)) && !c.sock.destroyed) {
          stdin.pause();
          c.sock.once('drain', () => {
            if (!finished) stdin.resume();
          });
        }
      };
      const onEnd = () => {
        if (!o.tty) c.send(F.STDIN, SESSION, Buffer.alloc(0));
      };
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        (stdin as { unref?: () => void }).unref?.();
      });
    }
    if (o.tty && process.stdout.isTTY) {
      const resize = () => c.send(F.RESIZE, SESSION, encodeResize(process.stdout.rows, process.stdout.columns));
      process.on('SIGWINCH', resize);
      cleanups.push(() => process.off('SIGWINCH', resize));
    }
    let grace: NodeJS.Timeout | undefined;
    cleanups.push(() => clearTimeout(grace));
    for (const sig of FORWARDED) {
      // With a terminal in raw mode Ctrl-C arrives as a byte; a SIGINT then came from elsewhere.
      const h = () => {
        c.send(F.SIGNAL, SESSION, encodeU32(constants.signals[sig]));
        if (!o.endOnSignal || (sig !== 'SIGINT' && sig !== 'SIGTERM')) return;
        const giveUp = () => {
          finish({ exitCode: 128 + constants.signals[sig], signal: sig });
          c.sock.destroy();
        };
        if (grace) giveUp();
        else grace = setTimeout(giveUp, SIGNAL_GRACE_MS);
      };
      process.on(sig, h);
      cleanups.push(() => process.off(sig, h));
    }
  });
}

/** The terminal size to start a tty session with (24x80 without a terminal, as for -dit). */
export function terminalSize(tty: boolean): { rows?: number; cols?: number } {
  if (!tty) return {};
  if (process.stdout.isTTY && process.stdout.rows) return { rows: process.stdout.rows, cols: process.stdout.columns };
  return { rows: 24, cols: 80 };
}

/** Run one exec session to its end. */
export async function execSession(c: VmClient, req: StartRequest, o: RelayOptions): Promise<ExitResult> {
  const done = relay(c, o);
  c.send(F.START, SESSION, encodeStart(req));
  const r = await done;
  c.close();
  return r;
}
