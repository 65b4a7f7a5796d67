import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const logsCommand: CommandModule<object, { env: string; follow: boolean; tail: number | undefined; timestamps: boolean }> = {
  command: 'logs <env>',
  describe: "Print an environment's stdout and stderr (kept after it exits)",
  builder: (y) => y
    .positional('env', { type: 'string', describe: 'id, id prefix or name' })
    .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the environment exits' })
    .option('tail', { alias: 'n', type: 'number', describe: 'only the last N lines' })
    .option('timestamps', { type: 'boolean', default: false, describe: 'prefix each line with its time' }) as never,
  handler: async (a) => {
    if (a.tail !== undefined && (!Number.isInteger(a.tail) || a.tail < 0)) {
      throw new berth.SpecError('bad-tail', `invalid --tail "${a.tail}"`, { fix: 'give a whole number of lines' });
    }
    const opts: berth.LogOptions = { follow: a.follow };
    if (a.tail !== undefined) opts.tail = a.tail;
    for await (const r of berth.logs(a.env, opts)) {
      const text = (a.timestamps ? `${r.time} ` : '') + berth.recordText(r);
      (r.stream === 'stderr' ? process.stderr : process.stdout).write(text);
    }
  },
};
