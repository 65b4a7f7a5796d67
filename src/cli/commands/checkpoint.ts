import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

function verb(name: 'checkpoint' | 'restore', describe: string): CommandModule<object, { env: string; name: string }> {
  return {
    command: `${name} <env> <name>`,
    describe,
    builder: (y) =>
      y
        .positional('env', { type: 'string', describe: 'id, id prefix or name of a running microvm environment' })
        .positional('name', { type: 'string', describe: 'checkpoint name (letters, digits, . _ -)' }) as never,
    handler: async (a) => {
      await (name === 'checkpoint' ? berth.checkpoint(a.env, String(a.name)) : berth.restore(a.env, String(a.name)));
      process.stdout.write(`${a.name}\n`);
    },
  };
}

export const checkpointCommand = verb(
  'checkpoint',
  'Save a running microvm (memory, device state and disk) as a named checkpoint in its overlay',
);
export const restoreCommand = verb(
  'restore',
  'Put a running microvm back to a named checkpoint; it runs on from there',
);
