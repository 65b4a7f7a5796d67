/**
 * The grammar of verbs that act on each ENV in turn (rm, stop, restart, kill): as Docker's, their
 * options may come before, between or after the ENVs; after `--` every token is an ENV. Pure;
 * built on the hot-path parser (fast-args.ts) and the same option tables as yargs.
 */
import type { OptionDef } from './options/option-table.js';
import { parseFastArgs, type ParsedArgs } from './fast-args.js';

export function parseListArgs(
  argv: string[],
  table: readonly OptionDef[],
): { options: ParsedArgs['options']; positionals: string[] } {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  let rest = argv;
  while (rest.length > 0) {
    // Options up to the next ENV, then that ENV; what follows is parsed again.
    const a = parseFastArgs(rest, table, { min: 0, max: 1 });
    Object.assign(options, a.options);
    positionals.push(...a.positionals);
    if (a.dashDash) {
      positionals.push(...a.command);
      break;
    }
    rest = a.command;
  }
  return { options, positionals };
}
