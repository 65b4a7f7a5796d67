import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';

const mib = (n: number | null) => (n === null ? '-' : `${(n / 1048576).toFixed(1)}MiB`);

export const statsCommand: CommandModule<object, { envs: string[]; format: string }> = {
  command: 'stats <envs..>',
  describe: 'CPU, memory and process counts of running environments (from their cgroups)',
  builder: (y) => y
    .positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' })
    .option('format', { type: 'string', choices: ['table', 'json'], default: 'table', describe: 'output format' }) as never,
  handler: async (a) => {
    const rows = [];
    for (const ref of a.envs) rows.push({ ref, ...(await berth.stats(ref)) });
    if (a.format === 'json') {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    process.stdout.write(table(['ENV', 'CPU TIME', 'MEM USAGE / LIMIT', 'PIDS / LIMIT'], rows.map((r) => [
      r.ref,
      r.cpuUsageNs === null ? '-' : `${(r.cpuUsageNs / 1e9).toFixed(2)}s`,
      `${mib(r.memoryBytes)} / ${r.memoryLimitBytes === null ? 'unlimited' : mib(r.memoryLimitBytes)}`,
      `${r.pids ?? '-'} / ${r.pidsLimit ?? 'unlimited'}`,
    ])));
  },
};
