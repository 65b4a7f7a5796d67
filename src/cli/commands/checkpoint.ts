/** `berth checkpoint ENV NAME`: save a running microvm as a named checkpoint. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { envAndCheckpoint } from './checkpoint-name.js';

export const checkpointCommand: CommandModule<object, { env: string; name: string }> = {
  command: 'checkpoint <env> <name>',
  describe: 'Save a running microvm (memory, device state and disk) as a named checkpoint in its overlay',
  builder: envAndCheckpoint,
  handler: async (a) => {
    await berth.checkpoint(a.env, String(a.name));
    process.stdout.write(`${a.name}\n`);
  },
};
