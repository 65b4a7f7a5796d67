/** `--format table|json` of the listing verbs (ps, images, network ls, template ls): the option and its printing, once. */
import type { Argv } from 'yargs';
import { table } from './output.js';

export function withListFormat<T>(y: Argv<T>) {
  return y.option('format', {
    type: 'string',
    choices: ['table', 'json'],
    default: 'table',
    describe: 'output format',
  });
}

/** LIST as indented JSON, or as a table of HEADERS with one ROW of cells an item. */
export function printList<T>(format: string, list: readonly T[], headers: string[], row: (item: T) => string[]): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : table(headers, list.map(row)));
}
