import * as berth from '../../index.js';

/** Where save and export write: -o FILE, or stdout when it is not a terminal. */
export function toOutput(file: string | undefined, verb: string): string | NodeJS.WritableStream {
  if (file !== undefined && file !== '-') return file;
  if (process.stdout.isTTY) {
    throw new berth.SpecError('usage', `berth ${verb} would write a tar archive to the terminal`, {
      fix: 'give -o FILE or redirect stdout',
    });
  }
  return process.stdout;
}
