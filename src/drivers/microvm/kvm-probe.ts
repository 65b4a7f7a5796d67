/**
 * Is KVM usable for microvm here? Absent or inaccessible /dev/kvm: no, at once. Otherwise boot
 * the microvm kernel with its initramfs under -accel kvm to the kernel's "Run /init" line, with
 * a short timeout. The verdict is cached per host boot, keyed by its inputs (the user and its
 * groups, /dev/kvm's owner and mode, QEMU, kernel and initramfs files, the host kernel), so the
 * next run does not boot again while nothing it depends on changed.
 */
import { release } from 'node:os';
import { cached } from '../../host/probe-cache.js';
import { fileStamp, toolStamp } from '../../host/probe-inputs.js';
import { bootToMarker, probeKvm } from '../../host/probes/kvm.js';
import type { Finding } from '../../host/probes/finding.js';
import { guestAppend, qemuArgv } from './qemu-cmdline.js';

export const KVM_PROBE_TIMEOUT_MS = 4000;
/** Printed by the kernel right before it executes the initramfs's /init. */
export const KERNEL_REACHED_INIT = /Run \/init as init process/;

export interface KvmProbeInput {
  /** Where probe verdicts are cached (the runtime dir). */
  cacheDir: string;
  kernel: string;
  initrd: string;
  dev?: string;
  qemu?: string;
  timeoutMs?: number;
}

/** The argv of the KVM boot probe. Pure. */
export function kvmProbeArgv(i: Pick<KvmProbeInput, 'kernel' | 'initrd' | 'qemu'>): string[] {
  return qemuArgv({
    ...(i.qemu ? { binary: i.qemu } : {}),
    accel: 'kvm',
    memoryMiB: 128,
    cpus: 1,
    kernel: i.kernel,
    initrd: i.initrd,
    append: guestAppend({ root: '/dev/vda', quiet: false, extra: ['berth.probe=1'] }),
    serial: { kind: 'stdio' },
    network: { mode: 'none' },
  });
}

export async function kvmUsable(i: KvmProbeInput): Promise<Finding> {
  const uid = process.getuid?.() ?? 0;
  const dev = i.dev ?? '/dev/kvm';
  const inputs = {
    uid,
    groups: (process.getgroups?.() ?? []).join(','),
    hostKernel: release(),
    dev: `${dev}@${fileStamp(dev)}`,
    qemu: toolStamp(i.qemu ?? 'qemu-system-x86_64'),
    kernel: `${i.kernel}@${fileStamp(i.kernel)}`,
    initrd: `${i.initrd}@${fileStamp(i.initrd)}`,
    timeoutMs: i.timeoutMs ?? KVM_PROBE_TIMEOUT_MS,
  };
  return cached(i.cacheDir, `microvm-kvm-boot-${uid}`, inputs, async () => {
    const dev = await probeKvm(i.dev);
    if (!dev.ok) return dev;
    return bootToMarker({
      argv: kvmProbeArgv(i),
      marker: KERNEL_REACHED_INIT,
      timeoutMs: i.timeoutMs ?? KVM_PROBE_TIMEOUT_MS,
      what: 'KVM',
    });
  });
}
