/**
 * KVM: /dev/kvm exists and is readable+writable by this user. That it is *usable* is decided by
 * a boot probe (a nested, paravirtual KVM can be present and still hang a guest), which belongs
 * to the microvm backend; nothing is booted here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { type Finding, fail, guard, ok } from './finding.js';

const BOOT_NOTE = 'usability is decided by a boot probe (microvm backend, not implemented yet)';

export function probeKvm(dev = '/dev/kvm'): Promise<Finding> {
  return guard('kvm', () => {
    let st;
    try {
      st = statSync(dev);
    } catch {
      return fail(`${dev} absent (no KVM: enable virtualisation or nested virtualisation; microvm falls back to TCG)`);
    }
    if (!st.isCharacterDevice()) return fail(`${dev} exists but is not a character device`);
    try {
      accessSync(dev, constants.R_OK | constants.W_OK);
    } catch {
      return fail(`${dev} present but not readable+writable by this user (add the user to group kvm: usermod -aG kvm $USER)`);
    }
    return ok(`${dev} present and read/writable; ${BOOT_NOTE}`, dev);
  });
}
