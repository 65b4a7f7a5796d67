/**
 * Does the microvm backend work here? QEMU's x86_64 system emulator and qemu-img, the guest
 * init, mke2fs for base disks. KVM is not required (TCG runs everywhere; --accel decides).
 * Says why not; never throws.
 */
import type { Probe } from '../driver.js';
import { findExecutable } from '../../host/probes/exec.js';
import { findNative, notBuiltReason } from '../../host/native-paths.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

export async function probeMicrovm(): Promise<Probe> {
  const details: Probe['details'] = {};
  const qemu = findExecutable(QEMU_BINARY);
  details.qemu = qemu ?? 'missing';
  if (!qemu) return { ok: false, reason: `${QEMU_BINARY} is missing (install qemu-system-x86)`, details };
  const init = findNative('berth-guest-init');
  details.guestInit = init ?? 'missing';
  if (!init) return { ok: false, reason: notBuiltReason('berth-guest-init'), details };
  for (const [tool, pkg] of [
    ['qemu-img', 'qemu-utils'],
    ['mke2fs', 'e2fsprogs'],
  ] as const) {
    const p = findExecutable(tool);
    details[tool] = p ?? 'missing';
    if (!p) return { ok: false, reason: `${tool} is missing (install ${pkg})`, details };
  }
  details.accel = 'decided per run: --accel auto boots a KVM probe once per host boot, else TCG';
  return { ok: true, reason: '', version: qemu, details };
}
