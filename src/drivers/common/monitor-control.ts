/**
 * Lifecycle operations shared by backends whose command is watched by the native monitor
 * (pids.json / exit.json in the state dir): signal, stop with a grace period, wait.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { EnvStore } from '../../core/env-store.js';
import type { ExitResult, Handle, StopOptions } from '../driver.js';
import { SpecError } from '../../core/errors.js';
import { isProcessAlive } from '../../core/process-identity.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function signalNumber(sig: string): number {
  const s = sig.toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = (s.startsWith('SIG') ? s : `SIG${s}`) as keyof typeof constants.signals;
    const n = constants.signals[name];
    if (typeof n === 'number') return n;
  }
  throw new SpecError('bad-signal', `unknown signal "${sig}"`, {
    fix: 'use a name like TERM, KILL, HUP or a number 1-64',
  });
}

export function sendSignal(store: EnvStore, h: Handle, sig: string): void {
  const num = signalNumber(sig);
  process.kill(store.runningPids(h.id, h.name).child, num);
}

/** Resolve once exit.json exists, or the monitor is gone. */
export async function waitForExit(store: EnvStore, h: Handle, timeoutMs = Infinity): Promise<ExitResult | undefined> {
  const deadline = Date.now() + timeoutMs;
  const exitPath = join(store.dirOf(h.id), 'exit.json');
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (existsSync(exitPath)) return store.status(h.id).exit;
    const pids = store.readPids(h.id);
    const monitorGone = pids && !isProcessAlive(pids.monitor);
    if (monitorGone && (pids.monitorRequired || !isProcessAlive(pids.child, pids.childStart))) {
      return store.status(h.id).exit;
    }
    if (!pids && store.status(h.id).state === 'created') {
      // Never started: nothing to wait for.
      return undefined;
    }
    if (Date.now() > deadline) return undefined;
    await sleep(delay);
  }
}

export async function stopWithGrace(store: EnvStore, h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
  const pids = store.readPids(h.id);
  if (!pids || store.readExit(h.id) || !isProcessAlive(pids.child, pids.childStart)) {
    return store.status(h.id).exit;
  }
  try {
    process.kill(pids.child, signalNumber(opts.signal ?? 'TERM'));
  } catch {
    /* already gone */
  }
  const done = await waitForExit(store, h, opts.timeoutMs);
  if (done) return done;
  try {
    process.kill(pids.child, constants.signals.SIGKILL);
  } catch {
    /* gone meanwhile */
  }
  return waitForExit(store, h, 10_000);
}

/** Kill the command and make sure its monitor is gone too (for rm -f). */
export async function killAll(store: EnvStore, h: Handle): Promise<void> {
  const pids = store.readPids(h.id);
  if (!pids) return;
  if (isProcessAlive(pids.child, pids.childStart)) {
    try {
      process.kill(pids.child, constants.signals.SIGKILL);
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 10_000;
  while (isProcessAlive(pids.monitor) && Date.now() < deadline) await sleep(10);
  if (isProcessAlive(pids.monitor)) {
    try {
      process.kill(pids.monitor, constants.signals.SIGKILL);
    } catch {
      /* gone */
    }
  }
}
