/**
 * A template (docs/templates.md, ADR 0039): what `berth template create` made and what a clone
 * must match. Pure: the record's shape, name rules, and the comparison that refuses a resume
 * under a different kernel, QEMU, machine, memory or CPU count.
 */
import type { BackendName } from '../core/spec.js';
import { SpecError, StateError } from '../core/errors.js';

/** microvm: what the saved VM state was made with; a clone must be started the same way. */
export interface TemplateMachine {
  /** `path@stamp` (host/probe-inputs fileStamp): a rebuilt kernel file is another kernel. */
  kernel: string;
  kernelRelease?: string;
  initrd: string;
  /** `path@stamp` of qemu-system-x86_64, and its --version line when the template was made. */
  qemu: string;
  qemuVersion: string;
  /** `-M` value and accelerator. */
  machine: string;
  accel: 'kvm' | 'tcg';
  memoryBytes: number;
  cpus: number;
  network: 'none' | 'user' | 'bridge';
  /** network 'bridge': the NIC's MTU (QEMU's host_mtu, a feature the saved device state carries). */
  mtu?: number;
  /** Virtual size of the template's disk (the clones' overlays have the same). */
  diskBytes: number;
  /** imageKey of the image's ext4 base (kept by prune while the template exists). */
  baseKey: string;
  /**
   * The guest's RAM is the file TEMPLATE_MEMORY, left out of the saved state (x-ignore-shared);
   * clones map it copy-on-write (ADR 0066). Absent: the state holds the RAM (older templates).
   */
  memoryFile?: boolean;
}

export interface TemplateRecord {
  name: string;
  backend: BackendName;
  /** The image the template was made from. */
  image: string;
  /** container, chroot: the committed image clones start from. */
  committedImage?: string;
  setup: string[];
  /** `template create --from ENV`: the running environment it was made of (then setup is []). */
  from?: string;
  createdAt: string;
  /** Seconds `template create` took, and the template's files on disk (bytes allocated). */
  createSeconds: number;
  sizeBytes: number;
  /** What a clone gets back: the filesystem always; memory and processes on microvm only. */
  kept: { filesystem: true; memory: boolean; processes: boolean };
  /** The run options the setup ran with, which clones inherit (they may add their own). */
  options: { env: Record<string, string>; workdir?: string; user?: string; network?: string };
  machine?: TemplateMachine;
}

export const TEMPLATE_FILE = 'template.json';
export const TEMPLATE_DISK = 'disk.qcow2';
export const TEMPLATE_STATE = 'vm-state';
export const TEMPLATE_MEMORY = 'vm-ram';
/** An empty overlay over TEMPLATE_DISK that each microvm clone copies (made by the first clone). */
export const TEMPLATE_BLANK_OVERLAY = 'clone-overlay.qcow2';
/** Label of the environment a `template create` runs the setup in. */
export const TEMPLATE_BUILD_LABEL = 'berth.template.build';

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function checkTemplateName(name: string): void {
  if (!NAME.test(name)) {
    throw new SpecError('bad-template-name', `invalid template name "${name}"`, {
      fix: 'use lower-case letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)',
    });
  }
}

/** What differs between a template's machine and the one a clone would start now; [] = compatible. Pure. */
export function machineDifferences(made: TemplateMachine, now: TemplateMachine): string[] {
  const out: string[] = [];
  const path = (s: string) => s.split('@')[0];
  if (made.kernel !== now.kernel)
    out.push(
      path(made.kernel) === path(now.kernel)
        ? `kernel ${path(made.kernel)} changed since (${made.kernelRelease ?? 'unknown release'})`
        : `kernel ${path(now.kernel)} (template: ${path(made.kernel)})`,
    );
  if (made.initrd !== now.initrd)
    out.push('the guest initramfs was rebuilt (a new berth-guest-init or kernel modules)');
  if (made.qemu !== now.qemu)
    out.push(
      now.qemuVersion === made.qemuVersion
        ? `QEMU binary ${path(now.qemu)} changed`
        : `QEMU ${now.qemuVersion || 'missing'} (template: ${made.qemuVersion})`,
    );
  if (made.machine !== now.machine) out.push(`machine ${now.machine} (template: ${made.machine})`);
  if (made.accel !== now.accel) out.push(`accelerator ${now.accel} (template: ${made.accel})`);
  if (made.memoryBytes !== now.memoryBytes)
    out.push(`memory ${now.memoryBytes / 1048576} MiB (template: ${made.memoryBytes / 1048576} MiB)`);
  if (made.cpus !== now.cpus) out.push(`${now.cpus} CPUs (template: ${made.cpus})`);
  if (made.network !== now.network) out.push(`network ${now.network} (template: ${made.network})`);
  else if (made.mtu !== now.mtu) out.push(`network MTU ${now.mtu} (template: ${made.mtu})`);
  return out;
}

export function incompatible(name: string, diffs: string[]): StateError {
  return new StateError('template-incompatible', `template ${name} cannot be resumed here: ${diffs.join('; ')}`, {
    fix: `rebuild it: berth template rm ${name}, then berth template create ${name} ... again`,
  });
}

/** `template create --from ENV` takes nothing else: the template is ENV as it runs. `given`: what else was. Pure. */
export function refuseWithFrom(given: string[]): void {
  if (given.length === 0) return;
  throw new SpecError(
    'template-from-options',
    `template create --from takes no run options, image or setup command (given: ${given.join(', ')})`,
    { fix: 'drop them (the template is the environment as it runs), or make the template from an image instead' },
  );
}
