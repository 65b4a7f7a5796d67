/**
 * `berth ps [-a] [-q] [--format table|json]`. On the hot path (cli.ts): what scripts ask between
 * runs, without yargs (about 120 ms a call); yargs only documents it.
 */
import * as berth from '../../index.js';
import { parseFastArgs } from '../fast-args.js';
import { FORMAT_OPTION, printList } from '../list-output.js';
import { humanAgo, statusText } from '../human-duration.js';
import type { OptionDef } from '../options/option-table.js';

export const PS_USAGE = 'ps [OPTIONS]';
export const PS_DESCRIBE = 'List environments (running ones; -a for all), reconciling recorded state with reality';

export const PS_OPTIONS: readonly OptionDef[] = [
  { name: 'all', short: 'a', type: 'boolean', describe: 'show all, not only running' },
  { name: 'quiet', short: 'q', type: 'boolean', describe: 'print ids only' },
  FORMAT_OPTION,
];

export async function psCommand(argv: string[]): Promise<number> {
  const { options: o, command } = parseFastArgs(argv, PS_OPTIONS, { min: 0, max: 0 });
  if (command.length > 0)
    throw new berth.SpecError('bad-argument', `ps takes no arguments ("${command[0]}")`, {
      fix: 'see berth ps --help',
    });
  const format = typeof o.format === 'string' ? o.format : 'table';
  const envs = berth.list({ all: o.all === true });
  if (o.quiet === true && format !== 'json') {
    for (const e of envs) process.stdout.write(`${berth.shortId(e.id)}\n`);
    return 0;
  }
  const now = Date.now();
  printList(format, envs, ['ID', 'NAME', 'BACKEND', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS'], (e) => [
    berth.shortId(e.id),
    e.name,
    e.backend,
    e.image,
    JSON.stringify(e.command.join(' ')),
    humanAgo(e.createdAt, now),
    statusText(e.status, now),
    // As Docker's: published ports while the environment runs.
    e.status.state === 'running' || e.status.state === 'paused' ? e.ports.map(berth.formatPublished).join(', ') : '',
  ]);
  return 0;
}
