/** stop and restart: `-t/--time SECONDS` before SIGKILL, defined and parsed once, then each ENV in turn. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export function timedStopCommand(
  command: string,
  describe: string,
  act: (ref: string, opts: { timeoutMs: number }) => Promise<unknown>,
): CommandModule<object, { envs: string[]; time: number }> {
  return {
    command,
    describe,
    builder: (y) =>
      y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }).option('time', {
        alias: 't',
        type: 'number',
        default: 10,
        describe: 'seconds to wait before SIGKILL',
      }) as never,
    handler: async (a) => {
      if (!Number.isFinite(a.time) || a.time < 0)
        throw new berth.SpecError('bad-time', `invalid --time "${a.time}"`, { fix: 'give seconds >= 0' });
      for (const ref of a.envs) {
        await act(ref, { timeoutMs: a.time * 1000 });
        process.stdout.write(`${ref}\n`);
      }
    },
  };
}
