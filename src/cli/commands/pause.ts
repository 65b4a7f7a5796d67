import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

function verb(name: 'pause' | 'unpause', describe: string): CommandModule<object, { envs: string[] }> {
  return {
    command: `${name} <envs..>`,
    describe,
    builder: (y) =>
      y.positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' }) as never,
    handler: async (a) => {
      for (const ref of a.envs) {
        await (name === 'pause' ? berth.pause(ref) : berth.unpause(ref));
        process.stdout.write(`${ref}\n`);
      }
    },
  };
}

export const pauseCommand = verb(
  'pause',
  'Freeze environments (container: the cgroup freezer; uml: mconsole stop; microvm: QMP stop)',
);
export const unpauseCommand = verb('unpause', 'Thaw paused environments');
