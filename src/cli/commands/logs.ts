import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { parseSince } from '../../core/cri-log.js';

export const logsCommand: CommandModule<object, { env: string; follow: boolean; tail: number | undefined; timestamps: boolean; since: string | undefined }> = {
  command: 'logs <env>',
  describe: "Print an environment's stdout and stderr (kept after it exits)",
  builder: (y) => y
    .positional('env', { type: 'string', describe: 'id, id prefix or name' })
    .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the environment exits' })
    .option('tail', { alias: 'n', type: 'number', describe: 'only the last N lines' })
    .option('since', { type: 'string', describe: 'only output since a time (2026-01-02T15:04:05Z) or for a duration (10s, 5m, 2h)' })
    .option('timestamps', { type: 'boolean', default: false, describe: 'prefix each line with its time' }) as never,
  handler: async (a) => {
    if (a.tail !== undefined && (!Number.isInteger(a.tail) || a.tail < 0)) {
      throw new berth.SpecError('bad-tail', `invalid --tail "${a.tail}"`, { fix: 'give a whole number of lines' });
    }
    const opts: berth.LogOptions = { follow: a.follow };
    if (a.tail !== undefined) opts.tail = a.tail;
    if (a.since !== undefined) {
      const since = parseSince(String(a.since));
      if (!since) {
        throw new berth.SpecError('bad-since', `invalid --since "${a.since}"`, { fix: 'give an RFC3339 time like 2026-01-02T15:04:05Z, a Unix time, or a duration like 10s, 5m, 2h' });
      }
      opts.since = since;
    }
    for await (const r of berth.logs(a.env, opts)) {
      const text = (a.timestamps ? `${r.time} ` : '') + berth.recordText(r);
      (r.stream === 'stderr' ? process.stderr : process.stdout).write(text);
    }
  },
};
