/**
 * Which program monitors a VM environment (ADR 0065): the native `berth-vmmon` (about 1 MiB
 * resident), or the Node monitor (vm-monitor.ts, about 46 MiB), which stays as the fallback:
 * when berth-vmmon is not built (a source checkout without `make -C native`), or when
 * BERTH_VM_MONITOR=node asks for it (a comparison, a suspected bug in one of them).
 * BERTH_VM_MONITOR=native refuses to fall back; unset or `auto`: this choice. Parsed and decided
 * here, once; pure.
 */
import { SpecError } from '../../core/errors.js';

export type VmMonitorSetting = 'auto' | 'node' | 'native';

export function parseVmMonitorSetting(env: NodeJS.ProcessEnv): VmMonitorSetting {
  const v = env.BERTH_VM_MONITOR ?? '';
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'node' || v === 'native') return v;
  throw new SpecError('bad-vm-monitor', `BERTH_VM_MONITOR=${JSON.stringify(v)} is not auto, node or native`, {
    fix: 'set BERTH_VM_MONITOR to auto, node or native, or unset it',
  });
}

export interface VmMonitorChoice {
  kind: 'native' | 'node';
  /** Why the Node monitor (absent for native). */
  reason?: string;
}

/** `nativePath`: the built berth-vmmon, undefined when it is not there. */
export function chooseVmMonitor(setting: VmMonitorSetting, nativePath: string | undefined): VmMonitorChoice {
  if (setting === 'node') return { kind: 'node', reason: 'BERTH_VM_MONITOR=node' };
  if (nativePath) return { kind: 'native' };
  if (setting === 'native')
    throw new SpecError('vm-monitor-missing', 'BERTH_VM_MONITOR=native but berth-vmmon is not built', {
      fix: 'run "make -C native" (or "npm run build")',
    });
  return { kind: 'node', reason: 'berth-vmmon is not built' };
}
