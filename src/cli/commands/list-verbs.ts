/**
 * `rm`, `stop`, `restart` and `kill`: each ENV in turn, printed once done, as Docker does. On the
 * hot path (cli.ts): no yargs, which cost these verbs about 120 ms a call; yargs only documents
 * them (yargs-app.ts). Options are parsed here, once.
 */
import * as berth from '../../index.js';
import { parseListArgs } from '../list-args.js';
import type { OptionDef } from '../options/option-table.js';
import { KILL_OPTIONS, RM_OPTIONS, STOP_OPTIONS } from '../options/list-verb-options.js';
import type { ParsedArgs } from '../fast-args.js';

export interface ListVerb {
  verb: string;
  usage: string;
  describe: string;
  table: readonly OptionDef[];
  /** Throws for bad options before any environment is touched. */
  check?: (options: ParsedArgs['options']) => unknown;
  act: (ref: string, options: ParsedArgs['options']) => Promise<unknown>;
}

/** `-t/--time SECONDS` (default 10) as milliseconds. */
function stopTimeout(o: ParsedArgs['options']): { timeoutMs: number } {
  const raw = o.time === undefined ? '10' : String(o.time);
  const s = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(s) || s < 0)
    throw new berth.SpecError('bad-time', `invalid --time "${raw}"`, { fix: 'give seconds >= 0' });
  return { timeoutMs: s * 1000 };
}

export const LIST_VERBS: readonly ListVerb[] = [
  {
    verb: 'rm',
    usage: 'rm [OPTIONS] ENV [ENV...]',
    describe: 'Remove environments and everything they left (processes, mounts, disk)',
    table: RM_OPTIONS,
    act: (ref, o) => berth.remove(ref, { force: o.force === true }),
  },
  {
    verb: 'stop',
    usage: 'stop [OPTIONS] ENV [ENV...]',
    describe: 'Stop environments: SIGTERM, then SIGKILL after --time seconds',
    table: STOP_OPTIONS,
    check: stopTimeout,
    act: (ref, o) => berth.stop(ref, stopTimeout(o)),
  },
  {
    verb: 'restart',
    usage: 'restart [OPTIONS] ENV [ENV...]',
    describe: 'Restart environments: SIGTERM, SIGKILL after --time seconds, then start in the background',
    table: STOP_OPTIONS,
    check: stopTimeout,
    act: (ref, o) => berth.restart(ref, stopTimeout(o)),
  },
  {
    verb: 'kill',
    usage: 'kill [OPTIONS] ENV [ENV...]',
    describe: "Send a signal to an environment's command (default SIGKILL)",
    table: KILL_OPTIONS,
    act: (ref, o) => berth.kill(ref, typeof o.signal === 'string' ? o.signal : 'KILL'),
  },
];

/** The verb's command: parse, check, then act on each ENV in turn. */
export function listVerbCommand(v: ListVerb): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const { options, positionals } = parseListArgs(argv, v.table);
    if (positionals.length === 0)
      throw new berth.SpecError('missing-arg', `${v.verb} needs at least one environment`, {
        fix: `e.g. berth ${v.verb} NAME`,
      });
    v.check?.(options);
    for (const ref of positionals) {
      await v.act(ref, options);
      process.stdout.write(`${ref}\n`);
    }
    return 0;
  };
}
