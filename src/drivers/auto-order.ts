/**
 * The order `--backend auto` tries backends in. berth's promise: a microVM where KVM
 * works, a container where it does not, chroot as the last resort. A separate kernel without
 * KVM (uml, or microvm under TCG emulation) boots in seconds, so auto takes it only when
 * `--isolation kernel` asks for a kernel of its own. Pure.
 */
import type { BackendName, EnvSpec } from '../core/spec.js';

export interface Candidate {
  backend: BackendName;
  /** microvm only when the KVM probe passes (never TCG). */
  needsKvm: boolean;
}

const MICROVM_KVM: Candidate = { backend: 'microvm', needsKvm: true };

/** Kernel isolation: microvm with KVM, then uml, then microvm under TCG. */
export const KERNEL_CANDIDATES: readonly Candidate[] = [
  MICROVM_KVM,
  { backend: 'uml', needsKvm: false },
  { backend: 'microvm', needsKvm: false },
];

export function autoCandidates(spec: Pick<EnvSpec, 'isolation' | 'accel'>): readonly Candidate[] {
  // --accel only means something to microvm: asking for an accelerator asks for a microvm.
  if (spec.accel === 'tcg') return [{ backend: 'microvm', needsKvm: false }];
  if (spec.accel === 'kvm') return [MICROVM_KVM];
  switch (spec.isolation) {
    case 'kernel':
      return KERNEL_CANDIDATES;
    case 'namespaces':
      return [MICROVM_KVM, { backend: 'container', needsKvm: false }];
    default:
      return [MICROVM_KVM, { backend: 'container', needsKvm: false }, { backend: 'chroot', needsKvm: false }];
  }
}

/** Why microvm was passed over without KVM. */
export function noKvmReason(detail: string): string {
  return `KVM does not work here: ${detail}; TCG emulation only on request (--isolation kernel or --backend microvm)`;
}
