/**
 * `--accel auto|kvm|tcg`: which QEMU accelerator a microvm gets, and why. auto = KVM when the
 * boot probe (kvm-probe.ts, cached per host boot) says it works, else TCG; kvm where KVM does
 * not work is an error (exit 125), never a hang.
 */
import type { Finding } from '../../host/probes/finding.js';
import { DriverError } from '../../core/errors.js';
import type { AccelRequest } from '../../core/accel.js';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** One line: which and why. */
  reason: string;
}

/** Pure: the choice given the request and (for auto/kvm) the KVM verdict. */
export function chooseAccel(req: AccelRequest, kvm: () => Promise<Finding>): Promise<AccelChoice> {
  if (req === 'tcg')
    return Promise.resolve({ accel: 'tcg', reason: 'TCG (software emulation): asked for with --accel tcg' });
  return kvm().then((f) => {
    if (f.ok) return { accel: 'kvm', reason: `KVM: ${f.detail}` };
    if (req === 'kvm') {
      throw new DriverError('kvm-unusable', `--accel kvm: KVM does not work here: ${f.detail}`, {
        fix: 'use --accel tcg (slower, software emulation) or --accel auto',
      });
    }
    return { accel: 'tcg', reason: `TCG (software emulation, slower): KVM does not work here: ${f.detail}` };
  });
}
