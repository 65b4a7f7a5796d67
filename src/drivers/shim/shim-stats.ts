/** Stats of a shim environment from its host processes (loaded by `stats` only, off the run path). */
import type { EnvStats } from '../driver.js';
import { processesInMountNs } from '../../host/ns-processes.js';
import { netnsBytes } from '../../host/proc-usage.js';
import { processStats } from '../common/process-stats.js';

/** `child`: the environment's command; its mount namespace holds them all, its network namespace their traffic. */
export function shimStats(child: number): EnvStats {
  return processStats({
    pids: processesInMountNs(child).map((p) => p.pid),
    net: netnsBytes(child),
    memoryLimitBytes: null,
    countPids: true,
  });
}
