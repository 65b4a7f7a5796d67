/**
 * Before a cluster runs the matrix: the results directory (created, checked writable, this run's
 * cells' old records and logs removed), the plan and the task script in it, and how nodes start berth.
 */
import { accessSync, constants, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../../core/atomic-write.js';
import { SpecError } from '../../../core/errors.js';
import { VERSION } from '../../../version.js';
import { cliPath } from '../../session.js';
import { cellsOf, type MatrixSpec } from '../cells.js';
import { DEFAULT_RESULTS_DIR, logPath, type MatrixPlan, recordPath, resultsLayout } from './plan.js';
import { taskScript } from './task-script.js';

export interface RemoteSetup {
  /** Default ./berth-matrix-results: a directory the nodes share with the submitter. */
  resultsDir?: string;
  /** berth on the nodes (an executable); default: this berth's own path (node + dist/berth.cjs). */
  berthPath?: string;
  /** Images and kernels (BERTH_STORE) every node shares; default: each node's own store. */
  store?: string;
}

/** argv that starts berth on a node. */
export function berthOnNodes(berthPath: string | undefined): string[] {
  if (berthPath !== undefined) {
    if (!isAbsolute(berthPath))
      throw new SpecError('bad-matrix', `--berth-path ${berthPath} is not an absolute path`, {
        fix: 'give the path berth has on the nodes, e.g. --berth-path /usr/local/bin/berth',
      });
    return [berthPath];
  }
  const cli = cliPath();
  if (!cli)
    throw new SpecError('bad-matrix', "cannot find berth's own CLI (dist/berth.cjs) to run on the nodes", {
      fix: 'pass --berth-path with the path of berth on the nodes',
    });
  return [process.execPath, cli];
}

export function preparePlan(spec: MatrixSpec, setup: RemoteSetup, cwd = process.cwd()): MatrixPlan {
  const resultsDir = resolve(cwd, setup.resultsDir ?? DEFAULT_RESULTS_DIR);
  const store = setup.store !== undefined ? resolve(cwd, setup.store) : undefined;
  return { version: VERSION, spec, cells: cellsOf(spec), resultsDir, cwd, ...(store ? { store } : {}) };
}

/** Write the plan and the task script into the results directory; returns the script's text. */
export function writeResultsDir(plan: MatrixPlan, berth: readonly string[]): string {
  const dirs = resultsLayout(plan.resultsDir);
  try {
    for (const d of [plan.resultsDir, dirs.records, dirs.logs, dirs.schedulerOut]) mkdirSync(d, { recursive: true });
    accessSync(dirs.records, constants.W_OK);
  } catch (e) {
    throw new SpecError(
      'bad-matrix',
      `cannot write the results directory ${plan.resultsDir}: ${(e as Error).message}`,
      {
        fix: 'pass --results DIR with a directory this user can write that the nodes share',
      },
    );
  }
  for (const c of plan.cells) {
    rmSync(recordPath(plan.resultsDir, c.id), { force: true });
    rmSync(logPath(plan.resultsDir, c.id), { force: true });
  }
  for (const f of readdirSync(dirs.schedulerOut)) rmSync(join(dirs.schedulerOut, f), { force: true });
  const script = taskScript({
    version: plan.version,
    cells: plan.cells,
    resultsDir: plan.resultsDir,
    berth,
    ...(plan.store ? { store: plan.store } : {}),
  });
  writeJsonAtomic(dirs.plan, plan, 0o644, false);
  writeFileAtomic(dirs.script, script, 0o755, false);
  return script;
}
