/** Validation of cgroup limits before any side effect (SpecError with a fix). */
import { SpecError } from '../../core/errors.js';
import { formatSize } from '../../core/units.js';
import type { CgroupLimits } from './types.js';

/** Below this the kernel OOM-kills almost any process at start (runc refuses < 6 MiB too). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** CFS period berth uses (100 ms), and the kernel's minimum quota (1 ms). */
export const CFS_PERIOD_US = 100_000;
export const MIN_CFS_QUOTA_US = 1_000;

export function checkLimits(limits: CgroupLimits): void {
  const { memoryBytes, cpus, pidsLimit } = limits;
  if (memoryBytes !== undefined) {
    if (!Number.isSafeInteger(memoryBytes) || memoryBytes <= 0) {
      throw new SpecError('bad-memory', `invalid memory limit ${memoryBytes}`, {
        fix: 'give a positive size, e.g. --memory 256m',
      });
    }
    if (memoryBytes < MIN_MEMORY_BYTES) {
      const floor = formatSize(MIN_MEMORY_BYTES);
      throw new SpecError('memory-too-small', `memory limit ${memoryBytes} bytes is below the minimum of ${floor}`, {
        fix: `use --memory ${floor} or more`,
      });
    }
  }
  if (cpus !== undefined) {
    if (!Number.isFinite(cpus) || cpus <= 0) {
      throw new SpecError('bad-cpus', `invalid cpus limit ${cpus}`, {
        fix: 'give a positive number of CPUs, e.g. --cpus 0.5',
      });
    }
    if (Math.round(cpus * CFS_PERIOD_US) < MIN_CFS_QUOTA_US) {
      throw new SpecError('cpus-too-small', `cpus limit ${cpus} is below the kernel minimum of 0.01`, {
        fix: 'use --cpus 0.01 or more',
      });
    }
  }
  if (pidsLimit !== undefined && (!Number.isSafeInteger(pidsLimit) || pidsLimit <= 0)) {
    throw new SpecError('bad-pids', `invalid pids limit ${pidsLimit}`, {
      fix: 'give a positive integer, e.g. --pids-limit 256',
    });
  }
}

/** The CFS quota in µs for a cpus value. */
export function cfsQuotaUs(cpus: number): number {
  return Math.round(cpus * CFS_PERIOD_US);
}
