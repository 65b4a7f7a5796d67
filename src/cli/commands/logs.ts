import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

type Out = NodeJS.WriteStream;

/** Write, and wait while the stream's buffer is full (a slow reader must not make us hold the log). */
function write(out: Out, bytes: Buffer): Promise<void> | undefined {
  return out.write(bytes) ? undefined : new Promise((res) => out.once('drain', res));
}

/** A batch's bytes, exactly as written, one write per run of records of the same stream. */
async function writeBatch(records: berth.LogRecord[], timestamps: boolean): Promise<void> {
  let parts: Buffer[] = [];
  let stream: berth.LogRecord['stream'] | undefined;
  const flush = async () => {
    if (stream && parts.length > 0)
      await write(stream === 'stderr' ? process.stderr : process.stdout, Buffer.concat(parts));
    parts = [];
  };
  for (const r of records) {
    if (r.stream !== stream) {
      await flush();
      stream = r.stream;
    }
    if (timestamps) parts.push(Buffer.from(`${r.time} `));
    parts.push(berth.recordBytes(r));
  }
  await flush();
}

export const logsCommand: CommandModule<
  object,
  { env: string; follow: boolean; tail: number | undefined; timestamps: boolean; since: string | undefined }
> = {
  command: 'logs <env>',
  describe: "Print an environment's stdout and stderr (kept after it exits)",
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'id, id prefix or name' })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'keep printing new output until the environment exits',
      })
      .option('tail', { alias: 'n', type: 'number', describe: 'only the last N lines' })
      .option('since', {
        type: 'string',
        describe: 'only output since a time (2026-01-02T15:04:05Z) or for a duration (10s, 5m, 2h)',
      })
      .option('timestamps', { type: 'boolean', default: false, describe: 'prefix each line with its time' }) as never,
  handler: async (a) => {
    if (a.tail !== undefined && (!Number.isInteger(a.tail) || a.tail < 0)) {
      throw new berth.SpecError('bad-tail', `invalid --tail "${a.tail}"`, { fix: 'give a whole number of lines' });
    }
    const opts: berth.LogOptions = { follow: a.follow };
    if (a.tail !== undefined) opts.tail = a.tail;
    if (a.since !== undefined) {
      const since = berth.parseSince(String(a.since));
      if (!since) {
        throw new berth.SpecError('bad-since', `invalid --since "${a.since}"`, {
          fix: 'give an RFC3339 time like 2026-01-02T15:04:05Z, a Unix time, or a duration like 10s, 5m, 2h',
        });
      }
      opts.since = since;
    }
    for await (const batch of berth.logBatches(a.env, opts)) await writeBatch(batch, a.timestamps);
  },
};
