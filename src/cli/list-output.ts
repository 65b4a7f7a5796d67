/** `--format table|json` of the listing verbs (ps, images, network ls, template ls): the option and its printing, once. */
import type { Argv } from 'yargs';
import type { OptionDef } from './options/option-table.js';
import { table } from './output.js';

/** The option as data: the hot parser's tables (ps) and yargs (the other listing verbs) both take it. */
export const FORMAT_OPTION: OptionDef = {
  name: 'format',
  type: 'string',
  choices: ['table', 'json'],
  valueName: 'FORMAT',
  describe: 'output format (default table)',
};

export function withListFormat<T>(y: Argv<T>) {
  return y.option(FORMAT_OPTION.name, {
    type: 'string',
    choices: FORMAT_OPTION.choices as string[],
    default: 'table',
    describe: FORMAT_OPTION.describe,
  });
}

/** LIST as indented JSON, or as a table of HEADERS with one ROW of cells an item. */
export function printList<T>(format: string, list: readonly T[], headers: string[], row: (item: T) => string[]): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : table(headers, list.map(row)));
}
