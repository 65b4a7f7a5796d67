/**
 * The argv of a User-mode Linux kernel for one environment (pure: unit-tested, runs nothing).
 * The guest's console (con0) and control line (ssl0) are host fds the monitor passes in; the
 * disk is a per-environment COW file over the shared, never written base; the berth init runs
 * as PID 1 from the initramfs (the guest boot contract in docs/guest-protocol.md).
 */
import { SpecError } from '../../core/errors.js';
import { USER_NET_ARG } from '../vm/user-net-guest.js';

export interface UmlCmdline {
  kernel: string;
  /** The guest's RAM (mem=), as resolved (core/resolved-spec.ts). */
  memoryMiB: number;
  /** Unique machine id: names the mconsole socket dir `<umlDir>/<umid>/`. */
  umid: string;
  umlDir: string;
  cow: string;
  base: string;
  initrd: string;
  /** Host fd (in the kernel process) of the control channel, read and written. */
  ctlFd: number;
  /** Host fd the kernel console is written to. */
  consoleFd: number;
  hostname: string;
  /** Bytes; the init grows the root filesystem online when the disk is bigger. */
  diskSize?: number;
  /** `--network user`: the slirp helper the kernel runs for its eth0. */
  slirp?: string;
  /** A bridge network: the tap made beforehand on the berth bridge, the NIC's MAC, and the init's berth.net=. */
  tap?: { name: string; mac: string; guestArg: string };
  /** Host directory of the kernel's modules: the init shares it read-only at /lib/modules/RELEASE. */
  modules?: string;
  /** Host directory of the bulk channel (ADR 0053): the init reaches it by hostfs. */
  bulk?: string;
}

/**
 * Boot-time work of Debian's uml kernel that a guest never uses (ADR 0077), measured on a bare
 * boot (2.1 s before, 0.3 s after). Every device the kernel registers sends a uevent, and each
 * uevent runs the usermode helper (/sbin/hotplug, absent): a new host process in uml, about 1.4 ms.
 * - no console or serial lines but con0 and ssl0 (set after these): 79 fewer devices;
 * - no legacy BSD ptys (/dev/ptyXX; the guest uses devpts): 512 fewer devices, 0.7 s;
 * - no RAID6 algorithm benchmark, 0.85 s. So btrfs RAID5/6 and md RAID4/5/6 do not work in a uml
 *   guest (the microvm backend has them).
 */
export const UML_BOOT_SKIPS: readonly string[] = [
  'con=none',
  'ssl=none',
  'pty.legacy_count=0',
  'initcall_blacklist=raid6_select_algo',
];

const SAFE_PATH = /^\/[^,\s=]*$/;

function checkPath(what: string, p: string): string {
  // ubd0=COW,BASE and the other key=value options cannot carry commas, blanks or '='.
  if (!SAFE_PATH.test(p)) {
    throw new SpecError(
      'bad-uml-path',
      `the ${what} path "${p}" cannot be passed to the uml kernel (no commas, blanks or "=")`,
      {
        fix: 'use a BERTH_ROOT without those characters',
      },
    );
  }
  return p;
}

export function umlArgv(c: UmlCmdline): string[] {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c.umid)) throw new SpecError('bad-umid', `invalid uml machine id "${c.umid}"`);
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(c.hostname)) {
    throw new SpecError('bad-hostname', `the hostname "${c.hostname}" cannot be passed to the uml kernel`, {
      fix: 'use letters, digits, dots and dashes',
    });
  }
  return [
    checkPath('kernel', c.kernel),
    `mem=${c.memoryMiB}M`,
    `umid=${c.umid}`,
    `uml_dir=${checkPath('uml_dir', c.umlDir)}`,
    // "c" (shared): no host lock. UML would hold a whole-file read lock on the base, which makes a
    // microvm's QEMU refuse the same base ("Failed to get consistent read lock"); the base is never
    // written and each COW file has one kernel, so the locks guard nothing here.
    `ubd0c=${checkPath('COW file', c.cow)},${checkPath('base disk', c.base)}`,
    `initrd=${checkPath('initramfs', c.initrd)}`,
    // Before con0= and ssl0=: con=none and ssl=none apply to every line, those two then override.
    ...UML_BOOT_SKIPS,
    `con0=null,fd:${c.consoleFd}`,
    `ssl0=fd:${c.ctlFd},fd:${c.ctlFd}`,
    'rdinit=/init',
    'quiet',
    'berth.root=/dev/ubda',
    'berth.rootfstype=ext4',
    'berth.ctl=/dev/ttyS0',
    `berth.hostname=${c.hostname}`,
    ...(c.diskSize !== undefined ? [`berth.disk_size=${c.diskSize}`] : []),
    ...(c.modules !== undefined ? [`berth.modules=${checkPath('modules', c.modules)}`] : []),
    ...(c.bulk !== undefined ? [`berth.bulk=${checkPath('bulk channel', c.bulk)}`] : []),
    ...(c.slirp !== undefined ? [`eth0=slirp,,${checkPath('slirp', c.slirp)}`, USER_NET_ARG] : []),
    ...(c.tap !== undefined ? tapArgs(c.tap) : []),
  ];
}

function tapArgs(t: NonNullable<UmlCmdline['tap']>): string[] {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(t.name))
    throw new SpecError('bad-tap', `tap name "${t.name}" is not a device name`);
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(t.mac)) throw new SpecError('bad-mac', `"${t.mac}" is not a MAC address`);
  if (!/^berth\.net=[0-9./,]+$/.test(t.guestArg))
    throw new SpecError('bad-net-arg', `"${t.guestArg}" is not a guest network argument`);
  // The kernel's tuntap transport opens the existing tap by name (no uml_net helper).
  return [`eth0=tuntap,${t.name},${t.mac}`, t.guestArg];
}
