/** The Slurm settings of `berth matrix --on slurm`, validated and defaulted once. Pure. */
import { SpecError } from '../../../core/errors.js';

export interface SlurmOptions {
  partition?: string;
  /** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time?: string;
  /** More sbatch arguments, verbatim (--slurm-arg). */
  args: string[];
}

const TIME =
  /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/;

/** sbatch options berth sets itself: an --slurm-arg naming one would break the array. */
const OWN = [
  '--array',
  '-a',
  '--output',
  '-o',
  '--error',
  '-e',
  '--parsable',
  '--wrap',
  '--chdir',
  '-D',
  '--no-requeue',
];

export function slurmOptions(o: { partition?: string; time?: string; args?: readonly string[] }): SlurmOptions {
  if (o.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(o.partition))
    throw new SpecError('bad-matrix', `--partition "${o.partition}" is not a Slurm partition name`, {
      fix: 'name partitions as sinfo lists them, e.g. --partition debug',
    });
  if (o.time !== undefined && !TIME.test(o.time))
    throw new SpecError('bad-matrix', `--time "${o.time}" is not a Slurm time limit`, {
      fix: 'use minutes, MM:SS, HH:MM:SS or D-HH:MM:SS, e.g. --time 30 or --time 1:00:00',
    });
  const args = [...(o.args ?? [])];
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (OWN.includes(flag))
      throw new SpecError('bad-matrix', `--slurm-arg ${a}: berth sets ${flag} itself`, {
        fix: 'leave it out; use --results for where the outputs go',
      });
    if (!a.startsWith('-'))
      throw new SpecError('bad-matrix', `--slurm-arg "${a}" is not an sbatch option`, {
        fix: 'give one sbatch option per --slurm-arg, e.g. --slurm-arg=--mem=2G',
      });
  }
  return {
    ...(o.partition !== undefined ? { partition: o.partition } : {}),
    ...(o.time !== undefined ? { time: o.time } : {}),
    args,
  };
}
