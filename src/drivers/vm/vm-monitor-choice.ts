/**
 * Which program monitors a VM environment (ADR 0065): the native `berth-vmmon` (about 1 MiB
 * resident) for what it implements, the Node monitor (vm-monitor.ts, about 46 MiB) for the rest:
 *   - relayed ports (uml `--network user -p`): the Node monitor listens on the host ports and
 *     carries each connection as an exec session (vm-port-relay.ts);
 *   - bridge networks: peer names copied into the guest's /etc/hosts on every change (vm-hosts-sync.ts);
 *   - helpers started before the VM (microvm `-v`: a virtiofsd per share, vm-helpers.ts).
 * BERTH_VM_MONITOR=node|native forces one (native refuses what it cannot do); unset or `auto`:
 * this choice. Parsed and decided here, once; pure.
 */
import { SpecError } from '../../core/errors.js';
import type { VmMonitorConfig } from './vm-monitor-config.js';

export type VmMonitorSetting = 'auto' | 'node' | 'native';

export function parseVmMonitorSetting(env: NodeJS.ProcessEnv): VmMonitorSetting {
  const v = env.BERTH_VM_MONITOR ?? '';
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'node' || v === 'native') return v;
  throw new SpecError('bad-vm-monitor', `BERTH_VM_MONITOR=${JSON.stringify(v)} is not auto, node or native`, {
    fix: 'set BERTH_VM_MONITOR to auto, node or native, or unset it',
  });
}

/** What the native monitor does not do for this configuration (empty: it does all of it). */
export function nativeMonitorGaps(cfg: VmMonitorConfig): string[] {
  const gaps: string[] = [];
  if (cfg.relayedPorts?.length) gaps.push('published ports relayed by the monitor (uml --network user -p)');
  if (cfg.hostsFile) gaps.push("a bridge network's peer names");
  if (cfg.launch.helpers?.length) gaps.push('helper processes (microvm -v: virtiofsd)');
  return gaps;
}

export interface VmMonitorChoice {
  kind: 'native' | 'node';
  /** Why the Node monitor (absent for native). */
  reason?: string;
}

/** `nativePath`: the built berth-vmmon, undefined when it is not there. */
export function chooseVmMonitor(
  cfg: VmMonitorConfig,
  setting: VmMonitorSetting,
  nativePath: string | undefined,
): VmMonitorChoice {
  if (setting === 'node') return { kind: 'node', reason: 'BERTH_VM_MONITOR=node' };
  const gaps = nativeMonitorGaps(cfg);
  if (setting === 'native') {
    if (gaps.length)
      throw new SpecError('vm-monitor-unsupported', `BERTH_VM_MONITOR=native does not support ${gaps.join(', ')}`, {
        fix: 'unset BERTH_VM_MONITOR (the Node monitor then takes this environment)',
      });
    if (!nativePath)
      throw new SpecError('vm-monitor-missing', 'BERTH_VM_MONITOR=native but berth-vmmon is not built', {
        fix: 'run "make -C native" (or "npm run build")',
      });
    return { kind: 'native' };
  }
  if (gaps.length) return { kind: 'node', reason: gaps.join(', ') };
  if (!nativePath) return { kind: 'node', reason: 'berth-vmmon is not built' };
  return { kind: 'native' };
}
