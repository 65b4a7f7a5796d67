/**
 * The command an environment runs, computed once when its record is written (Docker's rules:
 * the daemon's config merge and mergeAndVerifyConfig, the CLI's --entrypoint):
 *   argv = ENTRYPOINT + CMD;
 *   the run's arguments replace CMD only;
 *   an explicit entrypoint replaces ENTRYPOINT and drops the image's CMD (so the arguments alone
 *   follow it); an empty one ([] or [''], `--entrypoint ''`) clears it;
 *   nothing left to run is an error.
 * Pure: the drivers, `ps`, `inspect` and `commit` read the recorded result.
 */
import { SpecError } from './errors.js';

export interface ResolvedCommand {
  /** The effective ENTRYPOINT (Docker's Config.Entrypoint after the merge). */
  entrypoint: string[];
  /** The effective CMD (Docker's Config.Cmd after the merge). */
  cmd: string[];
  /** What is executed: entrypoint + cmd (argv[0] is Docker's Path, the rest its Args). */
  argv: string[];
}

/** Docker resets an entrypoint of [""] to none. */
const cleared = (ep: readonly string[]): string[] => (ep.length === 1 && ep[0] === '' ? [] : [...ep]);

export function resolveCommand(
  image: { entrypoint: readonly string[]; cmd: readonly string[] },
  run: { entrypoint?: readonly string[] | undefined; command: readonly string[] },
): ResolvedCommand {
  const overridden = run.entrypoint !== undefined;
  const entrypoint = cleared(overridden ? run.entrypoint! : image.entrypoint);
  const cmd = run.command.length > 0 ? [...run.command] : overridden ? [] : [...image.cmd];
  if (entrypoint.length === 0 && cmd.length === 0) {
    const why = overridden
      ? "--entrypoint '' cleared the image's ENTRYPOINT and CMD and no command was given"
      : 'the image has no ENTRYPOINT or CMD and no command was given';
    throw new SpecError('no-command', `no command to run: ${why}`, {
      fix: 'give one after the image (berth run IMAGE -- CMD) or use --entrypoint PATH',
    });
  }
  return { entrypoint, cmd, argv: [...entrypoint, ...cmd] };
}

/** Library input: undefined (the image's), or an array of strings ([] clears it). */
export function checkEntrypoint(entrypoint: unknown): void {
  if (entrypoint === undefined) return;
  if (!Array.isArray(entrypoint) || entrypoint.some((a) => typeof a !== 'string')) {
    throw new SpecError('bad-entrypoint', `invalid entrypoint ${JSON.stringify(entrypoint)}`, {
      fix: 'give an array of strings, e.g. ["/bin/sh", "-c"], or [] to clear it',
    });
  }
}

/**
 * Library input for `command`, normalised once (src/index.ts specOf): undefined is the image's CMD
 * ([]); an array of strings is the argv; a string is Docker's shell form, `/bin/sh -c STRING`
 * (as a Dockerfile's `CMD echo hi` is). Anything else is a SpecError.
 */
export function commandOf(command: unknown): string[] {
  if (command === undefined) return [];
  if (typeof command === 'string') {
    if (command.trim() === '')
      throw new SpecError('bad-command', 'the command is an empty string', {
        fix: 'give a shell command line such as "echo hi", an array of strings, or leave it out for the image\'s CMD',
      });
    return ['/bin/sh', '-c', command];
  }
  if (!Array.isArray(command) || command.some((a) => typeof a !== 'string')) {
    throw new SpecError('bad-command', `invalid command ${JSON.stringify(command)}`, {
      fix: 'give an array of strings, e.g. ["echo", "hi"], or one string to run with /bin/sh -c',
    });
  }
  return [...command];
}
