/** `berth checkpoint` / `berth restore`. */
import type { Context } from './context.js';
import { resolveEnv } from './lifecycle.js';
import { DriverError } from '../core/errors.js';
import { probeCriu } from '../host/probes/criu.js';

export async function checkpointEnv(ctx: Context, ref: string, name: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  if (!driver.capabilities().checkpoint) throw await noCheckpoint(driver.name, 'checkpoint environments');
  using _lock = await ctx.store.envLock(handle.id);
  await driver.checkpoint(handle, name);
}

export async function restoreEnv(ctx: Context, ref: string, name: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  if (!driver.capabilities().checkpoint) throw await noCheckpoint(driver.name, 'restore checkpoints');
  using _lock = await ctx.store.envLock(handle.id);
  await driver.restore(handle, name);
  // loadvm resumes the guest when it ran at the checkpoint: the recorded state follows QEMU's.
  if (ctx.store.readState(handle.id)?.state === 'paused') ctx.store.markState(handle.id, 'resumed');
}

/**
 * Why a backend cannot checkpoint. A container would need CRIU (docs/adr/0061): the error says what
 * `criu check` says of this host, which is the reason whatever berth does.
 */
async function noCheckpoint(backend: string, what: string): Promise<DriverError> {
  let why = '';
  if (backend === 'container') {
    const criu = await probeCriu();
    why = criu.ok ? ': criu check passes here, but berth does not drive CRIU yet' : `: ${criu.detail}`;
  }
  return new DriverError('no-checkpoint', `the ${backend} backend cannot ${what}${why}`, {
    fix: 'use --backend microvm',
  });
}
