/**
 * Docker's `start -a` (and `-ai`): start an environment made by `create`, attached to this
 * process's stdio as `run` is (stdin only with `interactive`, a terminal as it was created with
 * -t, Ctrl-P Ctrl-Q detaches), and wait for its command.
 */
import type { Context } from './context.js';
import type { ExitResult } from '../drivers/driver.js';
import { StateError } from '../core/errors.js';
import { resolveEnv, removeIfPresent } from './lifecycle.js';

export async function startAttachedEnv(ctx: Context, ref: string, interactive: boolean): Promise<ExitResult> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  {
    using _lock = await ctx.store.envLock(record.id);
    const state = ctx.store.status(record.id).state;
    if (state !== 'created')
      throw new StateError('not-created', `environment ${record.name} was started before (it is ${state})`, {
        fix: `see its output with "berth logs ${record.name}", or start it again with "berth restart ${record.name}"`,
      });
    // The record says how the monitor is wired: to our stdio this time, stdin only when asked.
    ctx.store.writeRecord({
      ...record,
      spec: { ...record.spec, detach: false, interactive: interactive && record.spec.interactive },
    });
    await driver.start(handle);
  }
  let res: ExitResult | undefined;
  try {
    res = await driver.wait(handle);
    return res;
  } finally {
    if (record.spec.autoRemove && !res?.detached) await removeIfPresent(ctx, record.id);
  }
}
