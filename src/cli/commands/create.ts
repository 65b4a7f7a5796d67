/** `berth create [OPTIONS] [IMAGE] [--] [COMMAND]`: an environment made but not started (then `berth start`). */
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { RUN_OPTIONS } from '../options/run-options.js';
import { runInput } from './run.js';

export const CREATE_USAGE = 'create [OPTIONS] [IMAGE] [--] [COMMAND [ARG...]]';
export const CREATE_DESCRIBE =
  "Create an environment without starting it (run's options; prints its id; berth start runs it)";

export async function createCommand(argv: string[]): Promise<number> {
  const args = parseFastArgs(argv, RUN_OPTIONS, { min: 0, max: 1 });
  const input = await runInput(args);
  const made = await berth.createStopped(input);
  process.stdout.write(`${made.id}\n`);
  return 0;
}
