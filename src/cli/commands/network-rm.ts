/** `berth network rm NAME...`: remove networks. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const networkRmCommand: CommandModule<object, { names: string[] }> = {
  command: 'rm <names..>',
  describe: 'Remove networks (refused while an environment uses one)',
  builder: (y) => y.positional('names', { type: 'string', array: true }) as never,
  handler: async (a) => {
    for (const n of a.names) {
      await berth.networkRemove(n);
      process.stdout.write(`${n}\n`);
    }
  },
};
