/**
 * Docker's `restart`: stop (grace period, then KILL) and start the same environment again, with
 * its filesystem changes kept (the shim's upper directory, a VM's COW file or qcow2 overlay). The
 * command runs detached; its log goes on in the same file.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { StateError } from '../core/errors.js';
import { isProcessAlive } from '../core/process-identity.js';
import { resolveEnv } from './lifecycle.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the last run's monitor left that says "started" or "exited" (status reads these). */
const RUN_FILES = ['exit.json', 'pids.json', 'monitor.pid'];

/** The last monitor must be gone before the next one takes its socket and files (bounded: 30 s). */
async function monitorGone(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let i = 0, delay = 5; i < 300 && isProcessAlive(pid); i++, delay = Math.min(delay * 2, 100)) await sleep(delay);
}

export async function restartEnv(ctx: Context, ref: string, timeoutMs: number): Promise<void> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  if (record.spec.autoRemove) {
    throw new StateError('auto-remove', `environment ${record.name} was made with --rm: it is removed when it stops`, {
      fix: 'run a new one; restart needs an environment made without --rm',
    });
  }
  using _lock = await ctx.store.envLock(record.id);
  const state = ctx.store.status(record.id).state;
  if (state === 'running' || state === 'paused') {
    if (state === 'paused') await driver.resume(handle);
    await driver.stop(handle, { timeoutMs });
  }
  await monitorGone(ctx.store.readPids(record.id)?.monitor);
  for (const f of RUN_FILES) rmSync(join(handle.dir, f), { force: true });
  // Restarted in the background whatever the first start was (Docker's restart never attaches).
  ctx.store.writeRecord({ ...record, spec: { ...record.spec, detach: true } });
  await driver.start(handle);
}
