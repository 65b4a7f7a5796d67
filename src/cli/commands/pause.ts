/** `berth pause ENV...`: freeze environments. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const pauseCommand: CommandModule<object, { envs: string[] }> = {
  command: 'pause <envs..>',
  describe: 'Freeze environments (container: the cgroup freezer; uml: mconsole stop; microvm: QMP stop)',
  builder: (y) => y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }) as never,
  handler: async (a) => {
    for (const ref of a.envs) {
      await berth.pause(ref);
      process.stdout.write(`${ref}\n`);
    }
  },
};
