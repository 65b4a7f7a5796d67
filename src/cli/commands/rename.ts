/** `berth rename ENV NEW_NAME` */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const renameCommand: CommandModule<object, { env: string; name: string }> = {
  command: 'rename <env> <name>',
  describe: 'Give an environment another name',
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'id, id prefix or name' })
      .positional('name', { type: 'string', describe: 'the new name (unique)' }) as never,
  handler: async (a) => {
    berth.rename(String(a.env), String(a.name));
  },
};
