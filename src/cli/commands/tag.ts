/** `berth tag SOURCE TARGET`: another name for a stored image. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const tagCommand: CommandModule<object, { source: string; target: string }> = {
  command: 'tag <source> <target>',
  describe: 'Give a stored image another name',
  builder: (y) =>
    y
      .positional('source', { type: 'string', describe: 'an image in the store' })
      .positional('target', { type: 'string', describe: 'NAME[:TAG] or REGISTRY/REPO[:TAG]' }) as never,
  handler: async (a) => {
    process.stdout.write(`${await berth.tag(a.source, a.target)}\n`);
  },
};
