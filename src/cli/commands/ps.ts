import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table, ago } from '../output.js';

function statusText(s: berth.Status): string {
  switch (s.state) {
    case 'running': return `Up since ${s.startedAt ?? '?'}`;
    case 'paused': return `Up since ${s.startedAt ?? '?'} (Paused)`;
    case 'exited': return `Exited (${s.exit?.exitCode ?? '?'}${s.exit?.signal ? ` ${s.exit.signal}` : ''}) ${ago(s.finishedAt)}${s.reconciled ? ' [reconciled]' : ''}`.trim();
    default: return s.state[0]!.toUpperCase() + s.state.slice(1);
  }
}

export const psCommand: CommandModule<object, { all: boolean; format: string; quiet: boolean }> = {
  command: 'ps',
  describe: 'List environments (running ones; -a for all), reconciling recorded state with reality',
  builder: (y) => y
    .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'show all, not only running' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print ids only' })
    .option('format', { type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' }) as never,
  handler: (a) => {
    const envs = berth.list({ all: a.all });
    if (a.format === 'json') {
      process.stdout.write(JSON.stringify(envs, null, 2) + '\n');
      return;
    }
    if (a.quiet) {
      for (const e of envs) process.stdout.write(`${e.id.slice(0, 12)}\n`);
      return;
    }
    process.stdout.write(table(['ID', 'NAME', 'BACKEND', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS'],
      envs.map((e) => [e.id.slice(0, 12), e.name, e.backend, e.image, JSON.stringify(e.command.join(' ')), ago(e.createdAt), statusText(e.status)])));
  },
};
