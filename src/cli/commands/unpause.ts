/** `berth unpause ENV...`: thaw paused environments. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const unpauseCommand: CommandModule<object, { envs: string[] }> = {
  command: 'unpause <envs..>',
  describe: 'Thaw paused environments',
  builder: (y) => y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }) as never,
  handler: async (a) => {
    for (const ref of a.envs) {
      await berth.unpause(ref);
      process.stdout.write(`${ref}\n`);
    }
  },
};
