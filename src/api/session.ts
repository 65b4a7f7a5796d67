/**
 * Leak-proof test sessions. Every environment made by `create()` carries the label
 * `berth.session=<id of this process's session>`. The first such creation starts a reaper: a
 * detached `berth __reap` process whose stdin is a pipe from us. When this process ends in any
 * way (even SIGKILL) the pipe closes, and the reaper removes what is left of the session.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomHex } from '../core/random.js';

export const SESSION_LABEL = 'berth.session';

let id: string | undefined;
const reapers = new Map<string, boolean>();

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

/** Start this session's reaper for the store at ROOT (BERTH_ROOT; undefined = the default store), once per store. */
export function ensureReaper(root: string | undefined): void {
  const key = root ?? '';
  if (reapers.has(key)) return;
  const cli = cliPath();
  reapers.set(key, Boolean(cli));
  if (!cli) return;
  const child = spawn(process.execPath, [cli, '__reap', sessionId()], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: root ? { ...process.env, BERTH_ROOT: root } : process.env,
  });
  child.on('error', () => {
    /* no reaper: environments are still removed on dispose */
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
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
