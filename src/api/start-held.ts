/**
 * Docker's archive before start (`docker cp` into a created container, testcontainers' copy
 * before start): the environment starts with its command held, so its filesystem is reachable
 * through exec on every backend (a VM's disk included), and the command runs on release with the
 * files in place. The held command is the image's sh waiting for SIGUSR1 and then exec'ing the
 * real argv (same process, same environment, same working directory and user); the record names
 * the real command again on release.
 */
import type { Context } from './context.js';
import { StateError } from '../core/errors.js';
import { resolveEnv } from './lifecycle.js';

const HOLD_SCRIPT = 'trap \'kill $! 2>/dev/null; exec "$@"\' USR1; while :; do sleep 86400 & wait $!; done';
export const HOLD_SIGNAL = 'USR1';

export function heldArgv(argv: string[]): string[] {
  return ['/bin/sh', '-c', HOLD_SCRIPT, 'berth-hold', ...argv];
}

/** The real command of a held argv (one heldArgv made), or undefined when ARGV is not held. */
export function heldCommand(argv: readonly string[]): string[] | undefined {
  const [sh, c, script, name, ...real] = argv;
  return sh === '/bin/sh' && c === '-c' && script === HOLD_SCRIPT && name === 'berth-hold' ? real : undefined;
}

export async function startHeldEnv(ctx: Context, ref: string): Promise<void> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(record.id);
  const state = ctx.store.status(record.id).state;
  if (state !== 'created')
    throw new StateError('not-created', `environment ${record.name} was started before (it is ${state})`, {
      fix: 'hold only an environment that was created and never started',
    });
  ctx.store.writeRecord({ ...record, command: { ...record.command, argv: heldArgv(record.command.argv) } });
  try {
    await driver.start(handle);
  } catch (e) {
    ctx.store.writeRecord(record);
    throw e;
  }
}

/** Run the held command: SIGUSR1 to the waiting shell, and the record names the command again. */
export async function releaseHeldEnv(ctx: Context, ref: string): Promise<void> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(record.id);
  const argv = heldCommand(record.command.argv);
  if (!argv)
    throw new StateError('not-held', `environment ${record.name} is not held`, {
      fix: 'release only an environment started with startHeld',
    });
  ctx.store.writeRecord({ ...record, command: { ...record.command, argv } });
  await driver.signal(handle, HOLD_SIGNAL);
}
