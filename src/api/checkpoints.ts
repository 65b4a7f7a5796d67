/** `berth checkpoint` / `berth restore` and the machine facts `inspect` shows for VM backends. */
import type { Context } from './context.js';
import { resolveEnv } from './lifecycle.js';
import { DriverError } from '../core/errors.js';

export async function checkpointEnv(ctx: Context, ref: string, name: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  if (!driver.capabilities().checkpoint) {
    throw new DriverError('no-checkpoint', `the ${driver.name} backend cannot checkpoint environments`, {
      fix: 'use --backend microvm',
    });
  }
  using _lock = await ctx.store.envLock(handle.id);
  await driver.checkpoint(handle, name);
}

export async function restoreEnv(ctx: Context, ref: string, name: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  if (!driver.capabilities().checkpoint) {
    throw new DriverError('no-checkpoint', `the ${driver.name} backend cannot restore checkpoints`, {
      fix: 'use --backend microvm',
    });
  }
  using _lock = await ctx.store.envLock(handle.id);
  await driver.restore(handle, name);
  // loadvm resumes the guest when it ran at the checkpoint: the recorded state follows QEMU's.
  if (ctx.store.readState(handle.id)?.state === 'paused') ctx.store.markState(handle.id, 'resumed');
}

export async function machineOf(ctx: Context, ref: string): Promise<Record<string, unknown> | undefined> {
  const { driver, handle } = resolveEnv(ctx, ref);
  return driver.machine(handle);
}
