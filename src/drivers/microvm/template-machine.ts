/** The machine a microvm clone would start on now, to compare with its template's (template-record.ts). */
import { spawnSync } from 'node:child_process';
import { fileStamp, toolStamp } from '../../host/probe-inputs.js';
import type { TemplateMachine } from '../../templates/template-record.js';
import { MICROVM_MACHINE } from './qemu-cmdline.js';
import { QEMU_BINARY } from './microvm-probe.js';

export const stampOf = (path: string) => `${path}@${fileStamp(path)}`;

/** `qemu-system-x86_64 --version`'s first line ("QEMU emulator version 7.2.22 (...)"), or ''. */
export function qemuVersion(): string {
  const r = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? (r.stdout.split('\n')[0]?.trim() ?? '') : '';
}

export interface MachineNow {
  kernel: string;
  kernelRelease?: string;
  initrd: string;
  accel: 'kvm' | 'tcg';
  memoryBytes: number;
  cpus: number;
  network: 'none' | 'user' | 'bridge';
  mtu?: number;
  diskBytes: number;
  baseKey: string;
}

/**
 * The facts of a machine started with these files now. The QEMU version is asked only when its
 * binary is not the one recorded (`known`), so a compatible clone spawns nothing extra.
 */
export function machineNow(m: MachineNow, known?: TemplateMachine): TemplateMachine {
  const qemu = toolStamp(QEMU_BINARY);
  return {
    kernel: stampOf(m.kernel),
    ...(m.kernelRelease ? { kernelRelease: m.kernelRelease } : {}),
    initrd: stampOf(m.initrd),
    qemu,
    qemuVersion: known && known.qemu === qemu ? known.qemuVersion : qemuVersion(),
    machine: MICROVM_MACHINE,
    accel: m.accel,
    memoryBytes: m.memoryBytes,
    cpus: m.cpus,
    network: m.network,
    ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
    diskBytes: m.diskBytes,
    baseKey: m.baseKey,
  };
}
