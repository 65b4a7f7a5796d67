/**
 * `matrix --on slurm`: one `sbatch --array` job, one task per cell, each running the cell with
 * berth on the node Slurm picks. The submitter waits on the records directory (fs.watch, with a
 * fallback scan) and asks squeue every few seconds (tasks stay listed, finished ones too, while
 * slurmctld remembers them), reports queued/running/done/failed counts through a hook,
 * cancels the array (scancel) when its signal aborts, and merges the records the tasks wrote
 * into the same results a local run returns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { HostError } from '../../../core/errors.js';
import type { MatrixSpec } from '../cells.js';
import type { CellResult } from '../report.js';
import { type CellRecord, resultsLayout } from '../remote/plan.js';
import { berthOnNodes, preparePlan, type RemoteSetup, writeResultsDir } from '../remote/prepare.js';
import { watchRecords } from '../remote/record-watch.js';
import { readRecord, resultOf } from '../remote/records.js';
import {
  isActive,
  isQueued,
  parseJobId,
  parseSqueue,
  sbatchArgs,
  squeueArgs,
  type TaskState,
} from './slurm-commands.js';
import { slurmOptions } from './slurm-options.js';

export interface ClusterProgress {
  jobId: string;
  total: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
}

export interface SlurmMatrixOptions extends RemoteSetup {
  on: 'slurm';
  partition?: string;
  time?: string;
  /** More sbatch options, verbatim. */
  slurmArgs?: readonly string[];
  /** Counts after every poll (the CLI draws them on a terminal). */
  onProgress?: (p: ClusterProgress) => void;
  /** Called whenever a cell changes state, as a local run does. */
  onUpdate?: (results: CellResult[]) => void;
  /** Aborting cancels the array (scancel); what finished is returned, the rest as cancelled. */
  signal?: AbortSignal;
  /** How often squeue is asked while cells run (default 2 s; records wake the submitter at once). */
  pollMs?: number;
}

/** squeue while cells run: for the counts and for tasks that end without a record. */
const POLL_MS = 2_000;
/** The records directory re-listed at least this often (fs.watch misses other NFS clients' writes). */
const SCAN_MS = 500;
/** squeue after Ctrl-C (until no task of the job runs) and while a finished task's record is overdue. */
const QUICK_POLL_MS = 250;
/** Tasks Slurm says ended but whose record is not visible yet (a shared file system's caches). */
const GRACE_MS = 2_000;

async function slurmCommand(cmd: string, args: string[]) {
  const r = await execa(cmd, args, { reject: false, stdin: 'ignore' });
  if ((r as { code?: string }).code === 'ENOENT')
    throw new HostError('no-slurm', `${cmd} not found: berth matrix --on slurm submits with the Slurm client tools`, {
      fix: 'run it on a Slurm login node, or install slurm-client',
    });
  return r;
}

function lastLine(file: string): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.at(-1) ?? '';
}

function withoutRecord(dir: string, index: number, t: TaskState | undefined, cancelled: string | undefined): string {
  if (cancelled && (!t || t.state === 'CANCELLED' || isActive(t.state))) return cancelled;
  const out = `${resultsLayout(dir).schedulerOut}/${index}.out`;
  const said = lastLine(out);
  const how = t ? `${t.state}${t.reason && t.reason !== 'None' ? ` (${t.reason})` : ''}` : 'unknown to squeue';
  const where = t?.node ? ` on ${t.node}` : '';
  // Ended by Slurm (node failure, time limit, cancel): berth had no chance to write the record.
  if (t && !['COMPLETED', 'FAILED'].includes(t.state))
    return `the Slurm task ended ${how}${where} before berth wrote its result${said ? `: ${said}` : ''}`;
  return `the Slurm task ended ${how}${where} without a result record in ${dir}${
    said ? `: ${said}` : ': the nodes must share that directory and be able to write it (--results)'
  }`;
}

export async function runMatrixOnSlurm(spec: MatrixSpec, opts: SlurmMatrixOptions): Promise<CellResult[]> {
  const slurm = slurmOptions({
    ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
    ...(opts.time !== undefined ? { time: opts.time } : {}),
    ...(opts.slurmArgs ? { args: opts.slurmArgs } : {}),
  });
  const plan = preparePlan(spec, opts);
  writeResultsDir(plan, berthOnNodes(opts.berthPath));
  const dir = plan.resultsDir;
  const sub = await slurmCommand(
    'sbatch',
    sbatchArgs({ cells: plan.cells.length, resultsDir: dir, cwd: plan.cwd, slurm }),
  );
  const jobId = sub.exitCode === 0 ? parseJobId(String(sub.stdout)) : undefined;
  if (!jobId)
    throw new HostError(
      'slurm-submit',
      `sbatch refused the matrix: ${String(sub.stderr).trim().split('\n')[0] || sub.stdout}`,
      {
        fix: 'check --partition, --time and --slurm-arg against sinfo and your site',
      },
    );

  const results: CellResult[] = plan.cells.map((c) => ({ ...c, state: 'pending' }));
  const records = new Map<string, CellRecord>();
  let cancelled: string | undefined;
  let scancelled = false;
  const onAbort = () => {
    cancelled = `cancelled before it finished (scancel ${jobId})`;
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const watch = watchRecords(resultsLayout(dir).records);
  let tasks = new Map<number, TaskState>();
  let lastKey = '';
  let squeueFailures = 0;
  let nextSqueue = 0;
  try {
    for (let graceUntil = 0; ; ) {
      if (cancelled && !scancelled) {
        scancelled = true;
        await slurmCommand('scancel', [jobId]);
      }
      if (Date.now() >= nextSqueue) {
        const q = await slurmCommand('squeue', squeueArgs(jobId));
        if (q.exitCode === 0) {
          tasks = parseSqueue(String(q.stdout));
          squeueFailures = 0;
        } else if (/invalid job id/i.test(String(q.stderr))) {
          // slurmctld forgot the job (MinJobAge after it ended): nothing of it is active.
          tasks = new Map();
        } else if (++squeueFailures > 60) {
          throw new HostError('slurm-poll', `squeue keeps failing: ${String(q.stderr).trim().split('\n')[0]}`, {
            fix: `check slurmctld (scontrol ping); the job ${jobId} may still run: scancel ${jobId}`,
          });
        }
        nextSqueue = Date.now() + (cancelled ? QUICK_POLL_MS : (opts.pollMs ?? POLL_MS));
      }
      const present = watch.ids();
      let queued = 0;
      let running = 0;
      for (const [i, cell] of plan.cells.entries()) {
        const rec = records.get(cell.id) ?? (present.has(cell.id) ? readRecord(dir, cell.id) : undefined);
        if (rec) {
          records.set(cell.id, rec);
          results[i] = resultOf(cell, rec, dir);
          continue;
        }
        const t = tasks.get(i);
        if (t && isQueued(t.state)) queued++;
        else if (t && isActive(t.state)) {
          running++;
          results[i] = { ...cell, state: 'running', ...(t.node ? { node: t.node } : {}) };
        }
      }
      const done = results.filter((r) => r.state === 'passed' || r.state === 'unavailable').length;
      const failed = results.filter((r) => r.state === 'failed' || r.state === 'error').length;
      opts.onProgress?.({ jobId, total: results.length, queued, running, done, failed });
      const key = results.map((r) => r.state).join();
      if (key !== lastKey) {
        lastKey = key;
        opts.onUpdate?.(results);
      }
      // Every record is in: the results are final (each task removed its environment before writing
      // its record); the tasks are only exiting, which Slurm learns a moment later.
      if (records.size === results.length) break;
      if (queued + running === 0) {
        if (cancelled) break;
        // Tasks Slurm says ended, without a record yet: a short grace (squeue asked again), then errors.
        graceUntil ||= Date.now() + GRACE_MS;
        if (Date.now() > graceUntil) break;
        nextSqueue = Math.min(nextSqueue, Date.now() + QUICK_POLL_MS);
      } else graceUntil = 0;
      // Woken by a record (fs.watch), by Ctrl-C, or at the next squeue or fallback scan.
      await watch.next(Math.min(nextSqueue - Date.now(), SCAN_MS), cancelled ? undefined : opts.signal);
    }
  } finally {
    watch.close();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  for (const [i, cell] of plan.cells.entries()) {
    if (records.has(cell.id)) continue;
    results[i] = { ...cell, state: 'error', reason: withoutRecord(dir, i, tasks.get(i), cancelled) };
  }
  opts.onUpdate?.(results);
  return results;
}
