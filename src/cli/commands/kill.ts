import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const killCommand: CommandModule<object, { envs: string[]; signal: string }> = {
  command: 'kill <envs..>',
  describe: "Send a signal to an environment's command (default SIGKILL)",
  builder: (y) =>
    y
      .positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' })
      .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'signal name or number' }) as never,
  handler: async (a) => {
    for (const ref of a.envs) {
      await berth.kill(ref, a.signal);
      process.stdout.write(`${ref}\n`);
    }
  },
};
