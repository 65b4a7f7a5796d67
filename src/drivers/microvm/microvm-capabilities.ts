/** What the microvm backend offers and its own refusals (data, loaded on the hot path without the driver; limits it cannot enforce: capability-problems.ts). */
import type { Capabilities, Problem } from '../driver.js';
import { MiB, type ResolvedSpec } from '../../core/resolved-spec.js';
import { vmNetworkProblems } from '../common/network-validate.js';
import { VM_CAPABILITIES } from '../vm/vm-capabilities.js';
import { guestMemoryMiB, memoryFloorProblems } from '../vm/guest-memory.js';
import { accessSync, constants } from 'node:fs';
import { virtiofsProblems, type VirtiofsHost } from './virtiofs-problems.js';

/** Instant: is /dev/kvm there for this user? (Whether it really boots is the cached boot probe's call.) */
export function kvmDevicePresent(dev = '/dev/kvm'): boolean {
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export const MICROVM_CAPABILITIES: Capabilities = {
  ...VM_CAPABILITIES,
  checkpoint: true,
  limits: { memory: true, cpus: true, pids: false },
  summary:
    'QEMU microvm: the command runs on its own Linux kernel in a virtual machine (KVM where it works, else TCG emulation), on a qcow2 overlay over the image; no network, QEMU user networking, or (root) a tap on a berth bridge network; -v through virtiofs',
};

/** Measured: Debian's cloud kernel with berth's initramfs does not boot in 64 MiB, does in 80 MiB; 96 MiB leaves room. */
export const MICROVM_MEMORY_FLOOR = 96 * MiB;
export const MICROVM_MAX_CPUS = 64;

export function validateMicrovm(
  spec: ResolvedSpec,
  kvm: () => boolean = kvmDevicePresent,
  rootless = false,
  virtiofsHost?: VirtiofsHost,
): Problem[] {
  const p: Problem[] = [];
  // Whether auto takes a microvm without KVM is the registry's call (src/drivers/auto-order.ts).
  if (spec.resolved.accel === 'kvm' && !kvm()) {
    p.push({
      field: 'accel',
      message: '--accel kvm: /dev/kvm is absent or not read/writable here',
      fix: 'use --accel tcg (software emulation) or --accel auto',
    });
  }
  p.push(...vmNetworkProblems(spec, rootless, 'microvm'));
  p.push(...memoryFloorProblems(spec, 'microvm', MICROVM_MEMORY_FLOOR, 'a microvm guest kernel'));
  const l = spec.limits;
  if (l.cpus !== undefined && (l.cpus < 1 || !Number.isInteger(l.cpus) || l.cpus > MICROVM_MAX_CPUS)) {
    p.push({
      field: 'cpus',
      message: `--cpus ${l.cpus}: a microvm gets whole virtual CPUs (1-${MICROVM_MAX_CPUS})`,
      fix: 'give a whole number such as --cpus 2',
    });
  }
  p.push(...virtiofsProblems(spec, rootless, virtiofsHost));
  return p;
}

/** What `inspect` shows under limits. */
export function microvmEnforcement(spec: ResolvedSpec): Record<string, string> {
  return {
    memory: `the guest's RAM (qemu -m ${guestMemoryMiB(spec)}M): the guest cannot use more`,
    cpus: `${spec.limits.cpus ?? 1} virtual CPU(s) (qemu -smp)`,
    pids: 'not enforced (the guest has its own pid space)',
  };
}
