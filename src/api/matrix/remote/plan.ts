/**
 * A matrix handed to a cluster: the plan every task reads (which cell is index N, which command,
 * which berth version the submitter runs) and where the shared results directory keeps the plan,
 * the task script, one result record and one log per cell. Pure.
 */
import { join } from 'node:path';
import type { Cell, MatrixSpec } from '../cells.js';

/** Where records and logs go unless --results says otherwise (under the current directory). */
export const DEFAULT_RESULTS_DIR = 'berth-matrix-results';

export interface MatrixPlan {
  /** The submitter's berth version; a task running another one fails its cell. */
  version: string;
  spec: MatrixSpec;
  /** Index N of the array runs cells[N]. */
  cells: Cell[];
  /** Absolute; shared by the submitter and every node. */
  resultsDir: string;
  /** The submitter's working directory: a host script named relative to it is found there. */
  cwd: string;
  /** BERTH_STORE for every task: the images and kernels all nodes share; default each node's own. */
  store?: string;
}

/** What a task writes: the cell's outcome on its node. */
export interface CellRecord {
  id: string;
  state: 'passed' | 'failed' | 'unavailable' | 'error';
  exitCode?: number;
  reason?: string;
  durationMs?: number;
  /** The node that ran the cell (SLURMD_NODENAME, NODE_NAME or the host name). */
  node?: string;
}

export const resultsLayout = (dir: string) => ({
  plan: join(dir, 'plan.json'),
  script: join(dir, 'task.sh'),
  records: join(dir, 'cells'),
  logs: join(dir, 'logs'),
  /** The scheduler's own output of each task (what ran before berth did: the script's checks). */
  schedulerOut: join(dir, 'scheduler'),
});

export const recordPath = (dir: string, id: string) => join(resultsLayout(dir).records, `${id}.json`);
export const logPath = (dir: string, id: string) => join(resultsLayout(dir).logs, `${id}.log`);

/** Why a task's berth refuses a plan written by another version (the cell's record says it). */
export function versionMismatch(node: string, got: string, want: string): string | undefined {
  if (got === want) return undefined;
  return `berth on node ${node} is version ${got || 'unknown'}, the submitter runs ${want}: install berth ${want} there or pass --berth-path`;
}

/** The node a task runs on, as the scheduler names it. */
export function nodeName(env: NodeJS.ProcessEnv, hostname: string): string {
  return env.SLURMD_NODENAME || env.NODE_NAME || hostname;
}
