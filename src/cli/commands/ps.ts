import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { printList, withListFormat } from '../list-output.js';
import { humanAgo, statusText } from '../human-duration.js';

export const psCommand: CommandModule<object, { all: boolean; format: string; quiet: boolean }> = {
  command: 'ps',
  describe: 'List environments (running ones; -a for all), reconciling recorded state with reality',
  builder: (y) =>
    withListFormat(
      y
        .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'show all, not only running' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print ids only' }),
    ) as never,
  handler: (a) => {
    const envs = berth.list({ all: a.all });
    if (a.quiet && a.format !== 'json') {
      for (const e of envs) process.stdout.write(`${berth.shortId(e.id)}\n`);
      return;
    }
    const now = Date.now();
    printList(a.format, envs, ['ID', 'NAME', 'BACKEND', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS'], (e) => [
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
  },
};
