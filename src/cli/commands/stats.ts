import type { CommandModule } from 'yargs';
import { totalmem } from 'node:os';
import * as berth from '../../index.js';
import { table } from '../output.js';
import { STATS_HEADERS, cpuPercent, memoryPercent, statsRow } from '../stats-format.js';

interface Target {
  id: string;
  name: string;
  ref: string;
}
const INTERVAL_MS = 1000;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The named environments (an error names a bad one), or every running one. */
function targets(refs: string[]): Target[] {
  if (refs.length === 0) return berth.list().map((e) => ({ id: e.id, name: e.name, ref: e.id }));
  return refs.map((ref) => {
    const { record } = berth.inspect(ref);
    return { id: record.id, name: record.name, ref: record.id };
  });
}

/** One reading of each; an environment that stopped meanwhile drops out (unless named: then it is an error). */
async function readAll(list: Target[], named: boolean): Promise<Map<string, berth.EnvStats>> {
  const out = new Map<string, berth.EnvStats>();
  for (const t of list) {
    try {
      out.set(t.id, await berth.stats(t.ref));
    } catch (e) {
      if (named) throw e;
    }
  }
  return out;
}

export const statsCommand: CommandModule<object, { envs: string[]; format: string; stream: boolean }> = {
  command: 'stats [envs..]',
  describe: 'Live CPU %, memory, network and block I/O and pids of running environments (all when none is named)',
  builder: (y) =>
    y
      .positional('envs', { type: 'string', array: true, default: [], describe: 'ids, id prefixes or names' })
      .option('stream', {
        type: 'boolean',
        default: true,
        describe: 'refresh every second (--no-stream: print one reading and exit)',
      })
      .option('format', {
        type: 'string',
        choices: ['table', 'json'],
        default: 'table',
        describe: 'output format (json: one reading with the raw numbers, as with --no-stream)',
      }) as never,
  handler: async (a) => {
    const named = a.envs.length > 0;
    let list = targets(a.envs);
    let prev = await readAll(list, named);
    const hostMemory = totalmem();
    const tty = process.stdout.isTTY === true;
    for (;;) {
      await sleep(INTERVAL_MS);
      if (a.stream && !named) list = targets([]);
      const cur = await readAll(list, named);
      const shown = list.filter((t) => cur.has(t.id));
      if (a.format === 'json') {
        process.stdout.write(
          `${JSON.stringify(
            shown.map((t) => {
              const s = cur.get(t.id)!;
              return {
                id: t.id,
                name: t.name,
                ...s,
                cpuPercent: cpuPercent(prev.get(t.id), s),
                memoryPercent: memoryPercent(s.memoryBytes, s.memoryLimitBytes ?? hostMemory),
              };
            }),
            null,
            2,
          )}\n`,
        );
        return;
      }
      const text = table(
        STATS_HEADERS,
        shown.map((t) => statsRow(t, cur.get(t.id)!, prev.get(t.id), hostMemory)),
      );
      process.stdout.write(a.stream && tty ? `\x1b[2J\x1b[H${text}` : text);
      if (!a.stream) return;
      prev = cur;
    }
  },
};
