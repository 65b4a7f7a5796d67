import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const rmCommand: CommandModule<object, { envs: string[]; force: boolean }> = {
  command: 'rm <envs..>',
  describe: 'Remove environments and everything they left (processes, mounts, disk)',
  builder: (y) =>
    y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }).option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'kill a running environment first',
    }) as never,
  handler: async (a) => {
    for (const ref of a.envs) {
      await berth.remove(ref, { force: a.force });
      process.stdout.write(`${ref}\n`);
    }
  },
};
