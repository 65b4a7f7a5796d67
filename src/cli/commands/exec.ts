/** `berth exec [OPTIONS] ENV [--] COMMAND [ARG...]`: run a command in a running environment. */
import { isatty } from 'node:tty';
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { EXEC_OPTIONS } from '../options/run-options.js';

export const EXEC_USAGE = 'exec [OPTIONS] ENV [--] COMMAND [ARG...]';
export const EXEC_DESCRIBE = 'Run a command in a running environment';

export async function execCommand(argv: string[]): Promise<number> {
  const args = parseFastArgs(argv, EXEC_OPTIONS, { min: 1, max: 1 });
  const ref = args.positionals[0];
  if (!ref || args.command.length === 0) {
    throw new berth.SpecError('missing-command', 'exec needs an environment and a command', {
      fix: 'e.g. berth exec NAME -- ls /',
    });
  }
  const o = args.options;
  // As Docker: a terminal for the command needs one to relay from (else the session waits for ever).
  if (o.tty === true && o.interactive === true && !isatty(0)) {
    throw new berth.SpecError('not-a-tty', 'the input device is not a TTY', {
      fix: 'drop -t (keep -i to pass stdin), or run berth from a terminal',
    });
  }
  const opts: Partial<berth.ExecOptions> = {
    tty: o.tty === true,
    interactive: o.interactive === true,
    env: berth.parseEnvArgs(Array.isArray(o.env) ? o.env : []),
  };
  if (typeof o.workdir === 'string') opts.workdir = o.workdir;
  if (typeof o.user === 'string') opts.user = o.user;
  const res = await berth.exec(ref, args.command, opts);
  return res.exitCode;
}
