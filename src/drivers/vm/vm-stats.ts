/**
 * Stats of a VM seen from the host: CPU time and memory (PSS) of the VM's host processes (the
 * uml kernel and its process copies, or QEMU; not the monitor), storage I/O of those processes,
 * network bytes of its tap on a bridge network. The limit is the guest's RAM.
 */
import type { EnvStats } from '../driver.js';
import { processesMentioning } from './vm-processes.js';
import { tapBytes } from '../../host/proc-usage.js';
import { readNetworkState } from '../../network/network-state.js';
import { processStats } from '../common/process-stats.js';

export function vmStats(envDir: string, monitorPid: number, guestMemoryBytes: number): EnvStats {
  const pids = processesMentioning(envDir).filter((p) => p !== monitorPid);
  const tap = readNetworkState(envDir)?.tap;
  return processStats({ pids, net: tap ? tapBytes(tap) : null, memoryLimitBytes: guestMemoryBytes, countPids: false });
}
