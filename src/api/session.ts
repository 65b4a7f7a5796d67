/**
 * Leak-proof test sessions. Every environment made by `create()` carries the label
 * `berth.session=<id of this process's session>`. The first such creation starts a reaper: a
 * detached process whose stdin is a pipe from us. When this process ends in any way (even
 * SIGKILL) the pipe closes, and the reaper removes what is left of the session.
 *
 * The reaper is two-stage (ADR 0070): `berth-shim reap-wait` waits on the pipe at no cost, and
 * starts `berth __reap` (Node and the CLI bundle) only when it must act. We tell it which by the
 * last byte written: '1' while the session may own environments (written before each one is
 * made), '0' once every one it made was removed. A clean end therefore costs no Node start; a
 * kill, a crash or an environment still standing runs the full reaper as before.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomHex } from '../core/random.js';
import { findNative } from '../host/native-paths.js';

export const SESSION_LABEL = 'berth.session';

let id: string | undefined;

/**
 * How many environments the session may own in one store, and what to tell its reaper: '1' when a
 * hold is taken, '0' when the last is released, unless pinned (a caller that never releases, such
 * as a template build, keeps the full reaper). Pure.
 */
export class SessionHolds {
  #holds = 0;
  #pinned = false;
  take(): '1' {
    this.#holds++;
    return '1';
  }
  release(): '0' | undefined {
    if (this.#holds > 0) this.#holds--;
    return this.#holds === 0 && !this.#pinned ? '0' : undefined;
  }
  pin(): '1' {
    this.#pinned = true;
    return '1';
  }
}

interface Reaper {
  /** The pipe to the reaper (undefined: none could start; dispose still removes environments). */
  stdin: Writable | undefined;
  holds: SessionHolds;
}

const reapers = new Map<string, Reaper>();

/** This process's session id (stable for its life). */
export function sessionId(): string {
  return (id ??= randomHex(8));
}

/** The bundled CLI, found by walking up from this module (dist/ or build/src/api/). */
export function cliPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'dist', 'berth.cjs');
    try {
      accessSync(p, constants.R_OK);
      return p;
    } catch {
      /* keep walking */
    }
    const here = join(dir, 'berth.cjs');
    try {
      accessSync(here, constants.R_OK);
      return here;
    } catch {
      /* keep walking */
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** argv of the reaper for SESSION: the native waiter in front of `berth __reap` when it is built. Pure. */
export function reaperArgv(node: string, cli: string, session: string, shim: string | undefined): string[] {
  const reap = [node, cli, '__reap', session];
  return shim ? [shim, 'reap-wait', '--', ...reap] : reap;
}

function reaperFor(root: string | undefined): Reaper {
  const key = root ?? '';
  const known = reapers.get(key);
  if (known) return known;
  const reaper: Reaper = { stdin: undefined, holds: new SessionHolds() };
  reapers.set(key, reaper);
  const cli = cliPath();
  if (!cli) return reaper;
  const [cmd, ...args] = reaperArgv(process.execPath, cli, sessionId(), findNative('berth-shim'));
  const child = spawn(cmd!, args, {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: root ? { ...process.env, BERTH_ROOT: root } : process.env,
  });
  child.on('error', () => {
    /* no reaper: environments are still removed on dispose */
  });
  child.unref();
  const stdin = child.stdin!;
  stdin.on('error', () => {
    /* the reaper is gone (killed by hand): nothing to tell it */
  });
  (stdin as unknown as { unref?: () => void }).unref?.();
  reaper.stdin = stdin;
  return reaper;
}

/** Tell the reaper a byte; resolves once it is in the pipe (or cannot be). */
function tell(reaper: Reaper, byte: string | undefined): Promise<void> {
  const { stdin } = reaper;
  if (!byte || !stdin || stdin.destroyed) return Promise.resolve();
  return new Promise((resolve) => stdin.write(byte, () => resolve()));
}

/**
 * Start this session's reaper for the store at ROOT (BERTH_ROOT; undefined = the default store),
 * once per store, and keep it in full force: it removes the session's environments at exit.
 */
export function ensureReaper(root: string | undefined): void {
  const reaper = reaperFor(root);
  void tell(reaper, reaper.holds.pin());
}

/**
 * Before making a session environment in ROOT's store: the reaper knows, before the environment
 * exists, that it must act if this process dies. Call the returned function (once is enough; later
 * calls do nothing) after that environment was removed.
 */
export async function holdSession(root: string | undefined): Promise<() => void> {
  const reaper = reaperFor(root);
  await tell(reaper, reaper.holds.take());
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    void tell(reaper, reaper.holds.release());
  };
}

/** The reaper's side: wait for EOF on stdin (our creator is gone), then run CLEANUP. */
export function reapWhenOrphaned(cleanup: () => Promise<void>): Promise<void> {
  for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGPIPE'] as const)
    process.on(sig, () => {
      /* outlive the session */
    });
  return new Promise((resolve) => {
    process.stdin.on('data', () => {
      /* nothing is sent; only the close matters */
    });
    process.stdin.on('error', () => void cleanup().finally(resolve));
    process.stdin.on('end', () => void cleanup().finally(resolve));
    process.stdin.resume();
  });
}
