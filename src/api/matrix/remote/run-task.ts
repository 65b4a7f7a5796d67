/**
 * One task of a cluster matrix, on the node the scheduler picked (`berth __matrix-task PLAN INDEX`):
 * the same cell run as a local matrix runs it, its log and result record written into the shared
 * results directory (the record atomically, so the submitter never reads half of one). The version
 * check comes first and costs nothing: the plan names the submitter's version, this berth compares
 * its own (no second `berth --version` process per task; ADR 0035 addendum).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeJsonAtomic } from '../../../core/atomic-write.js';
import { SpecError } from '../../../core/errors.js';
import { VERSION } from '../../../version.js';
import type { ContextOptions } from '../../context.js';
import { runCell, unavailableBackends, type MatrixLibrary } from '../run.js';
import { type CellRecord, type MatrixPlan, nodeName, recordPath, resultsLayout, versionMismatch } from './plan.js';

export function readPlan(path: string): MatrixPlan {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MatrixPlan;
  } catch (e) {
    throw new SpecError('bad-matrix', `cannot read the matrix plan ${path}: ${(e as Error).message.split('\n')[0]}`, {
      fix: 'run tasks through berth matrix --on slurm, which writes the plan into the results directory',
    });
  }
}

export async function runMatrixTask(
  planPath: string,
  index: number,
  opts: ContextOptions,
  lib: MatrixLibrary,
): Promise<CellRecord> {
  const plan = readPlan(planPath);
  const cell = plan.cells[index];
  if (!Number.isInteger(index) || !cell)
    throw new SpecError('bad-matrix', `the plan ${planPath} has no cell ${index} (it has ${plan.cells.length})`, {
      fix: 'give an index from 0 to the number of cells - 1',
    });
  const node = nodeName(process.env, hostname());
  const mismatch = versionMismatch(node, VERSION, plan.version);
  if (mismatch) {
    const record: CellRecord = { id: cell.id, state: 'error', reason: mismatch, node };
    writeJsonAtomic(recordPath(plan.resultsDir, cell.id), record, 0o644);
    return record;
  }
  // Only this cell's backend: probing all four costs each task about a second and a half.
  const unavailable = await unavailableBackends(opts, [cell.backend]);
  const r = await runCell(
    cell,
    plan.spec,
    unavailable,
    {
      logDir: resultsLayout(plan.resultsDir).logs,
      cwd: plan.cwd,
      ...(opts.root ? { root: opts.root } : {}),
    },
    lib,
  );
  const record: CellRecord = {
    id: cell.id,
    state: r.state as CellRecord['state'],
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    node,
  };
  writeJsonAtomic(recordPath(plan.resultsDir, cell.id), record, 0o644);
  return record;
}
