/**
 * Stats of an environment from its host processes (no cgroup to read): the chroot backend, a
 * container without a writable cgroup, the VM backends (the VM's own host processes).
 */
import type { EnvStats } from '../driver.js';
import { procUsage } from '../../host/proc-usage.js';

export interface ProcessStatsInput {
  pids: number[];
  /** Network bytes, already seen from the environment's side (null: not its own network). */
  net: { rx: number; tx: number } | null;
  memoryLimitBytes: number | null;
  /** Count the processes as its pids (not for a VM: its host processes are not the guest's). */
  countPids: boolean;
}

export function processStats(i: ProcessStatsInput): EnvStats {
  const u = procUsage(i.pids);
  return {
    cpuUsageNs: u.cpuNs,
    memoryBytes: u.memoryBytes,
    memoryLimitBytes: i.memoryLimitBytes,
    pids: i.countPids ? u.count : null,
    pidsLimit: null,
    netRxBytes: i.net?.rx ?? null,
    netTxBytes: i.net?.tx ?? null,
    blockReadBytes: u.blockReadBytes,
    blockWriteBytes: u.blockWriteBytes,
    readAtMs: Date.now(),
    source: 'processes',
  };
}
