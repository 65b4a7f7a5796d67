import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const waitCommand: CommandModule<object, { envs: string[] }> = {
  command: 'wait <envs..>',
  describe: 'Wait until environments exit and print their exit codes',
  builder: (y) => y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }) as never,
  handler: async (a) => {
    for (const ref of a.envs) {
      const r = await berth.wait(ref);
      process.stdout.write(`${r.exitCode}\n`);
    }
  },
};
