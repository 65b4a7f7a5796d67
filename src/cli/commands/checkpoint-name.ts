/** The positionals `berth checkpoint` and `berth restore` share: a running microvm and a checkpoint name. */
import type { Argv } from 'yargs';

export const envAndCheckpoint = (y: Argv) =>
  y
    .positional('env', { type: 'string', describe: 'id, id prefix or name of a running microvm environment' })
    .positional('name', { type: 'string', describe: 'checkpoint name (letters, digits, . _ -)' }) as never;
