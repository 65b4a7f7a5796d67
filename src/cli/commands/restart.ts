/** `berth restart [-t SECONDS] ENV...`: stop and start again, keeping the filesystem. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const restartCommand: CommandModule<object, { envs: string[]; time: number }> = {
  command: 'restart <envs..>',
  describe: 'Restart environments: SIGTERM, SIGKILL after --time seconds, then start in the background',
  builder: (y) =>
    y
      .positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' })
      .option('time', { alias: 't', type: 'number', default: 10, describe: 'seconds to wait before SIGKILL' }) as never,
  handler: async (a) => {
    if (!Number.isFinite(a.time) || a.time < 0)
      throw new berth.SpecError('bad-time', `invalid --time "${a.time}"`, { fix: 'give seconds >= 0' });
    for (const ref of a.envs) {
      await berth.restart(ref, { timeoutMs: a.time * 1000 });
      process.stdout.write(`${ref}\n`);
    }
  },
};
