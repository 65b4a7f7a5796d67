/** The VmLaunch of a microvm environment: the QEMU argv, the ctl socket it listens on. Pure. */
import type { VmLaunch } from '../vm/vm-launch.js';
import { guestAppend, qemuArgv } from './qemu-cmdline.js';
import { ctlSocket, qmpSocket, type MicrovmFiles } from './microvm-files.js';

import { USER_NET_ARG } from '../vm/user-net-guest.js';
import { incomingUri } from './vm-state-file.js';
import type { VirtiofsShare } from './virtiofs-shares.js';
import { bulkDiskPath } from './bulk-disk.js';
import { virtiofsdArgv, type VirtiofsdHost } from './virtiofsd-cmdline.js';

export interface MicrovmLaunchInput {
  files: MicrovmFiles;
  memoryMiB: number;
  cpus: number;
  hostname: string;
  /** Host TSC rate (kHz); needed under TCG. */
  tscKhz?: number;
  qemu?: string;
  /** A template build: freed guest pages are zeroed (init_on_free), so its saved state stays small. */
  templateBuild?: boolean;
  /** The guest's RAM in a file (qemu-cmdline.ts): a template build's, or a clone's private map of its template's. */
  memoryFile?: { path: string; shared: boolean };
  /** -v: the virtiofs shares (virtiofs-shares.ts), each served by its own virtiofsd. */
  shares?: { list: VirtiofsShare[]; needle: string; host: VirtiofsdHost };
}

export function microvmLaunch(i: MicrovmLaunchInput): VmLaunch {
  const f = i.files;
  const shares = i.shares?.list ?? [];
  const append = guestAppend({
    root: '/dev/vda',
    ctl: 'berth.ctl',
    hostname: i.hostname,
    ...(f.diskBytes > f.baseBytes ? { diskSizeBytes: f.diskBytes } : {}),
    ...(f.accel === 'tcg' && i.tscKhz ? { tscKhz: i.tscKhz } : {}),
    extra: [
      ...(f.network === 'user' ? [USER_NET_ARG] : f.bridge ? [f.bridge.guestArg] : []),
      ...(i.templateBuild ? ['init_on_free=1'] : []),
    ],
  });
  const argv = qemuArgv({
    ...(i.qemu ? { binary: i.qemu } : {}),
    accel: f.accel,
    memoryMiB: i.memoryMiB,
    cpus: i.cpus,
    kernel: f.kernel,
    initrd: f.initrd,
    append,
    disk: { path: f.overlay, format: 'qcow2' },
    bulkDisk: bulkDiskPath(f.runDir),
    controlSocket: ctlSocket(f),
    qmpSocket: qmpSocket(f),
    serial: { kind: 'stdio' },
    network:
      f.network === 'user'
        ? { mode: 'user', forwards: f.forwards }
        : f.bridge
          ? { mode: 'tap', ifname: f.bridge.tap, mac: f.bridge.mac, mtu: f.bridge.mtu }
          : { mode: 'none' },
    // RAM in a file: the stream is read after QEMU is told x-ignore-shared (vm-state-file.ts).
    ...(f.template ? { incoming: f.template.memory ? 'defer' : incomingUri(f.template.state) } : {}),
    ...(i.memoryFile ? { memoryFile: i.memoryFile } : {}),
    ...(shares.length > 0 ? { shares: shares.map((s) => ({ tag: s.tag, socket: s.socket })) } : {}),
  });
  return {
    argv,
    ctl: { kind: 'unix', path: ctlSocket(f), flow: 'stream' },
    what: `the microvm (qemu, ${f.accel})`,
    ...(shares.length > 0
      ? {
          helpers: shares.map((s) => ({
            argv: virtiofsdArgv(s, i.shares!.host),
            socket: s.socket,
            what: `the virtiofsd of -v ${s.source}`,
          })),
          helpersNeedle: i.shares!.needle,
        }
      : {}),
  };
}
