/** `berth restore ENV NAME`: put a running microvm back to a checkpoint. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { envAndCheckpoint } from './checkpoint-name.js';

export const restoreCommand: CommandModule<object, { env: string; name: string }> = {
  command: 'restore <env> <name>',
  describe: 'Put a running microvm back to a named checkpoint; it runs on from there',
  builder: envAndCheckpoint,
  handler: async (a) => {
    await berth.restore(a.env, String(a.name));
    process.stdout.write(`${a.name}\n`);
  },
};
