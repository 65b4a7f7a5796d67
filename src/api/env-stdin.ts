/**
 * The stdin of a running, detached environment created with -i (Docker's attach with stdin), on
 * every backend: the shim backends' monitor reads a FIFO, a VM's monitor takes it as the
 * command's STDIN frames. Ending the stream is EOF for a command without a terminal (StdinOnce).
 */
import type { Writable } from 'node:stream';
import type { Context } from './context.js';
import { StateError } from '../core/errors.js';
import { resolveEnv } from './lifecycle.js';

export async function openEnvStdin(ctx: Context, ref: string): Promise<Writable> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  if (!record.spec.interactive)
    throw new StateError('no-stdin', `environment ${record.name} takes no input while it runs`, {
      fix: 'create it with -i to type into its command',
    });
  const state = ctx.store.status(record.id).state;
  if (state !== 'running' && state !== 'paused')
    throw new StateError('no-stdin', `environment ${record.name} takes no input now: it is ${state}`, {
      fix: `start it first with "berth start ${record.name}"`,
    });
  return driver.openStdin(handle);
}
