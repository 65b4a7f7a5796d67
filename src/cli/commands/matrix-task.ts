/** `berth __matrix-task PLAN INDEX` (hidden): what a cluster task runs on its node. Exit 1 when the cell failed. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const matrixTaskCommand: CommandModule<object, { plan: string; index: number }> = {
  command: '__matrix-task <plan> <index>',
  describe: false,
  builder: (y) => y.positional('plan', { type: 'string' }).positional('index', { type: 'number' }) as never,
  handler: async (a) => {
    const r = await berth.matrixTask(a.plan, a.index);
    process.stderr.write(`berth matrix task: ${r.id} on ${r.node}: ${berth.resultWord(r)}\n`);
    process.exitCode = r.state === 'failed' || r.state === 'error' ? 1 : 0;
  },
};
