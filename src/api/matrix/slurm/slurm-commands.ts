/** argv of sbatch, squeue and scancel for a matrix array, and what squeue prints, parsed. Pure. */
import { resultsLayout } from '../remote/plan.js';
import type { SlurmOptions } from './slurm-options.js';

export interface ArraySubmission {
  cells: number;
  resultsDir: string;
  cwd: string;
  slurm: SlurmOptions;
}

export function sbatchArgs(s: ArraySubmission): string[] {
  const dirs = resultsLayout(s.resultsDir);
  return [
    '--parsable',
    `--array=0-${s.cells - 1}`,
    '--job-name=berth-matrix',
    `--output=${dirs.schedulerOut}/%a.out`,
    `--chdir=${s.cwd}`,
    // A task on a node that died ends as NODE_FAIL instead of running again somewhere else.
    '--no-requeue',
    '--export=ALL',
    ...(s.slurm.partition ? [`--partition=${s.slurm.partition}`] : []),
    ...(s.slurm.time ? [`--time=${s.slurm.time}`] : []),
    ...s.slurm.args,
    dirs.script,
    dirs.plan,
  ];
}

/** `sbatch --parsable` prints JOBID or JOBID;CLUSTER. */
export function parseJobId(stdout: string): string | undefined {
  const m = /^(\d+)(;\S+)?\s*$/.exec(stdout.trim());
  return m?.[1];
}

/** One line per array task, also finished ones while slurmctld remembers them (MinJobAge). */
export function squeueArgs(jobId: string): string[] {
  return ['--noheader', '--array', '--states=all', `--jobs=${jobId}`, '--format=%K|%T|%N|%r'];
}

export interface TaskState {
  /** Slurm's state, e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, NODE_FAIL, TIMEOUT. */
  state: string;
  node: string;
  reason: string;
}

/** Task index -> state; a pending range ("0-7" or "2,4-5") counts for each of its tasks. */
export function parseSqueue(stdout: string): Map<number, TaskState> {
  const out = new Map<number, TaskState>();
  for (const line of stdout.split('\n')) {
    const [ids, state, node, reason] = line.trim().split('|');
    if (!ids || !state) continue;
    for (const part of ids
      .replace(/^\[|\]$/g, '')
      .replace(/%\d+$/, '')
      .split(',')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) continue;
      for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++)
        out.set(i, { state, node: node ?? '', reason: reason ?? '' });
    }
  }
  return out;
}

const ACTIVE = new Set([
  'PENDING',
  'RUNNING',
  'CONFIGURING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
]);

export const isActive = (state: string) => ACTIVE.has(state.replace(/\+$/, ''));
export const isQueued = (state: string) => state === 'PENDING' || state === 'REQUEUED';
