/**
 * `berth __matrix-task PLAN INDEX` (hidden): what a cluster task runs on its node. On the CLI's hot
 * path (no yargs): every task of an array pays this start-up at once. Exit 1 when the cell failed.
 */
import * as berth from '../../index.js';

export async function matrixTaskCommand(argv: string[]): Promise<number> {
  const [plan, index] = argv;
  if (!plan || !index || argv.length !== 2 || !/^\d+$/.test(index))
    throw new berth.SpecError('usage', 'berth __matrix-task takes PLAN INDEX (what a cluster task runs)', {
      fix: 'run cells on a cluster with berth matrix --on slurm',
    });
  const r = await berth.matrixTask(plan, Number(index));
  process.stderr.write(`berth matrix task: ${r.id} on ${r.node}: ${berth.resultWord(r)}\n`);
  return r.state === 'failed' || r.state === 'error' ? 1 : 0;
}
