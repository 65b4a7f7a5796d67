/** Resize the terminal of a running environment made with -t (Docker's container resize). */
import type { Context } from './context.js';
import type { TerminalSize } from '../drivers/driver.js';
import { SpecError, StateError } from '../core/errors.js';
import { resolveEnv } from './lifecycle.js';

export async function resizeEnv(ctx: Context, ref: string, size: TerminalSize): Promise<void> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  for (const [k, v] of Object.entries(size))
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw new SpecError('bad-size', `invalid terminal ${k} ${v}`, { fix: 'give whole numbers from 1 to 65535' });
  if (!record.spec.tty)
    throw new StateError('no-tty', `environment ${record.name} has no terminal`, { fix: 'create it with -t' });
  if (ctx.store.status(record.id).state !== 'running')
    throw new StateError('not-running', `environment ${record.name} is not running`, {
      fix: `start it first with "berth start ${record.name}"`,
    });
  await driver.resize(handle, size);
}
