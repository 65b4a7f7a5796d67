/**
 * `berth matrix --on slurm|kubernetes`: the cluster side of the matrix command. Slurm: submit,
 * draw queued/running/done/failed counts on a terminal (ora, through the progress hook), and on
 * Ctrl-C cancel the array and report what finished. Kubernetes: write the Indexed Job to --emit.
 */
import { writeFileSync } from 'node:fs';
import * as berth from '../../index.js';
import { terminalProgress } from '../progress-hook.js';

export interface ClusterArgs {
  partition?: string;
  time?: string;
  'slurm-arg'?: string[];
  'berth-path'?: string;
  store?: string;
  results?: string;
  emit?: string;
  'pod-image'?: string;
}

export function progressLine(p: berth.ClusterProgress): string {
  return `slurm job ${p.jobId}: ${p.queued} queued, ${p.running} running, ${p.done} done, ${p.failed} failed (of ${p.total})`;
}

/** Runs the matrix as a Slurm array; `cancelled` is set when Ctrl-C cancelled it. */
export async function runOnSlurm(
  spec: berth.MatrixSpec,
  a: ClusterArgs,
  onUpdate: (rs: berth.CellResult[]) => void,
): Promise<{ results: berth.CellResult[]; cancelled: boolean }> {
  const progress = terminalProgress();
  const abort = new AbortController();
  let last: berth.ClusterProgress | undefined;
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const results = await berth.matrix(spec, {
      on: 'slurm',
      ...(a.partition !== undefined ? { partition: a.partition } : {}),
      ...(a.time !== undefined ? { time: a.time } : {}),
      ...(a['slurm-arg'] ? { slurmArgs: a['slurm-arg'].map(String) } : {}),
      ...(a['berth-path'] !== undefined ? { berthPath: a['berth-path'] } : {}),
      ...(a.store !== undefined ? { store: a.store } : {}),
      ...(a.results !== undefined ? { resultsDir: a.results } : {}),
      signal: abort.signal,
      onProgress: (p) => {
        last = p;
        progress(progressLine(p));
      },
      onUpdate,
    });
    progress(null);
    if (abort.signal.aborted) {
      const finished = results.filter((r) => !r.reason?.startsWith('cancelled before')).length;
      process.stderr.write(
        `berth: cancelled Slurm job ${last?.jobId ?? ''} (scancel); ${finished} of ${results.length} cells had finished\n`,
      );
    }
    return { results, cancelled: abort.signal.aborted };
  } finally {
    progress(null);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function emitKubernetes(spec: berth.MatrixSpec, a: ClusterArgs): Promise<void> {
  return berth
    .matrixKubernetesJob(spec, {
      ...(a['berth-path'] !== undefined ? { berthPath: a['berth-path'] } : {}),
      ...(a.store !== undefined ? { store: a.store } : {}),
      ...(a.results !== undefined ? { resultsDir: a.results } : {}),
      ...(a['pod-image'] !== undefined ? { podImage: a['pod-image'] } : {}),
    })
    .then((list) => writeFileSync(a.emit!, `${JSON.stringify(list, null, 2)}\n`));
}
