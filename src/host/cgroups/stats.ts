/** Reading usage from an applied plan: cpu time, memory, pids, and whether the OOM killer struck. */
import { readKeyed, readNumber, readOpt } from './fs.js';
import type { CgroupPlan } from './types.js';

export interface CgroupStats {
  /** CPU time used by all tasks, in nanoseconds (v1 cpuacct.usage; v2 cpu.stat usage_usec * 1000). */
  cpuUsageNs?: number;
  memoryCurrentBytes?: number;
  /** Peak usage (v1 memory.max_usage_in_bytes; v2 memory.peak, kernel 5.19+). */
  memoryPeakBytes?: number;
  /** The enforced limit; null = unlimited. */
  memoryLimitBytes?: number | null;
  pidsCurrent?: number;
  /** null = unlimited. */
  pidsLimit?: number | null;
}

/** v1 writes "unlimited" as a huge page-aligned number (2^63 - 4096): treat >= 2^62 as unlimited. */
const UNLIMITED = 2 ** 62;

function limitOf(text: number | undefined, raw: string | undefined): number | null | undefined {
  if (raw?.trim() === 'max') return null;
  if (text === undefined) return undefined;
  return text >= UNLIMITED ? null : text;
}

export function stats(plan: CgroupPlan): CgroupStats {
  const s: CgroupStats = {};
  const { cpuacct, memory, pids } = plan.placement;
  if (cpuacct?.version === 1) {
    const v = readNumber(cpuacct.dir, 'cpuacct.usage');
    if (v !== undefined) s.cpuUsageNs = v;
  } else if (cpuacct?.version === 2) {
    const v = readKeyed(cpuacct.dir, 'cpu.stat')?.get('usage_usec');
    if (v !== undefined) s.cpuUsageNs = Number(v) * 1000;
  }
  if (memory) {
    const [cur, peak, lim] =
      memory.version === 1
        ? ['memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes']
        : ['memory.current', 'memory.peak', 'memory.max'];
    const c = readNumber(memory.dir, cur);
    if (c !== undefined) s.memoryCurrentBytes = c;
    const p = readNumber(memory.dir, peak);
    if (p !== undefined) s.memoryPeakBytes = p;
    const l = limitOf(readNumber(memory.dir, lim), readOpt(memory.dir, lim));
    if (l !== undefined) s.memoryLimitBytes = l;
  }
  if (pids) {
    const c = readNumber(pids.dir, 'pids.current');
    if (c !== undefined) s.pidsCurrent = c;
    const l = limitOf(readNumber(pids.dir, 'pids.max'), readOpt(pids.dir, 'pids.max'));
    if (l !== undefined) s.pidsLimit = l;
  }
  return s;
}

/**
 * Whether the OOM killer killed a task in the environment: v1 memory.oom_control `oom_kill N`
 * (kernel 4.13+; older kernels: memory.failcnt > 0, i.e. the limit was hit), v2 memory.events
 * `oom_kill N`. False when there is no memory cgroup.
 */
export function oomKilled(plan: CgroupPlan): boolean {
  const m = plan.placement.memory;
  if (!m) return false;
  if (m.version === 2) return Number(readKeyed(m.dir, 'memory.events')?.get('oom_kill') ?? 0) > 0;
  const n = readKeyed(m.dir, 'memory.oom_control')?.get('oom_kill');
  if (n !== undefined) return Number(n) > 0;
  return (readNumber(m.dir, 'memory.failcnt') ?? 0) > 0;
}
