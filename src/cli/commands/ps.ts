import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';
import { humanAgo, statusText } from '../human-duration.js';

export const psCommand: CommandModule<object, { all: boolean; format: string; quiet: boolean }> = {
  command: 'ps',
  describe: 'List environments (running ones; -a for all), reconciling recorded state with reality',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'show all, not only running' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print ids only' })
      .option('format', {
        type: 'string',
        choices: ['table', 'json'],
        default: 'table',
        describe: 'output format',
      }) as never,
  handler: (a) => {
    const envs = berth.list({ all: a.all });
    if (a.format === 'json') {
      process.stdout.write(`${JSON.stringify(envs, null, 2)}\n`);
      return;
    }
    if (a.quiet) {
      for (const e of envs) process.stdout.write(`${berth.shortId(e.id)}\n`);
      return;
    }
    const now = Date.now();
    process.stdout.write(
      table(
        ['ID', 'NAME', 'BACKEND', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS'],
        envs.map((e) => [
          berth.shortId(e.id),
          e.name,
          e.backend,
          e.image,
          JSON.stringify(e.command.join(' ')),
          humanAgo(e.createdAt, now),
          statusText(e.status, now),
          // As Docker's: published ports while the environment runs.
          e.status.state === 'running' || e.status.state === 'paused'
            ? e.ports.map(berth.formatPublished).join(', ')
            : '',
        ]),
      ),
    );
  },
};
