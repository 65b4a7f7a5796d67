/** `berth rmi REF...`: remove images and what only they used. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const rmiCommand: CommandModule<object, { refs: string[]; force: boolean }> = {
  command: 'rmi <refs..>',
  describe: 'Remove pulled images and the blobs, layers and VM base disks only they used',
  builder: (y) =>
    y.positional('refs', { type: 'string', array: true, describe: 'image references' }).option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'even if an environment uses it',
    }) as never,
  handler: async (a) => {
    for (const ref of a.refs) {
      await berth.rmi(ref, { force: a.force });
      process.stdout.write(`Untagged: ${ref}\n`);
    }
  },
};
