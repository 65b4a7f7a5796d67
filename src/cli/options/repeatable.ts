/**
 * Options given more than once. A repeatable option (-e, -v, --insecure-registry ...) collects
 * one value per occurrence and never takes the words after it: with yargs' default greedy arrays,
 * `pull --insecure-registry HOST REF` gave REF to the option and left no REF. Any other option
 * given twice keeps its last value, as in Docker (yargs would make an array of it, which the
 * verbs do not expect).
 */
import type { Arguments, Argv, Options } from 'yargs';

/** yargs settings of a repeatable string option: one value per occurrence, the value required. */
export const REPEATABLE: Options = { type: 'string', array: true, nargs: 1, requiresArg: true };

/** yargs' parser settings: arrays are never greedy. */
export const PARSER_CONFIGURATION = { 'greedy-arrays': false } as const;

/** Middleware (before validation): a non-array option given twice keeps its last value. */
export function lastOfRepeated(argv: Arguments, y: Argv): void {
  const options = (
    y as unknown as { getOptions(): { key: Record<string, unknown>; array: string[]; alias: Record<string, string[]> } }
  ).getOptions();
  const withAliases = (keys: string[]) => new Set(keys.flatMap((k) => [k, ...(options.alias[k] ?? [])]));
  const declared = withAliases(Object.keys(options.key));
  const arrays = withAliases(options.array);
  // Only declared options: yargs' own keys (_, --, $0) are arrays on purpose.
  for (const [key, value] of Object.entries(argv)) {
    if (declared.has(key) && !arrays.has(key) && Array.isArray(value)) argv[key] = value[value.length - 1];
  }
}
