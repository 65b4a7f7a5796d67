/**
 * The argv of `qemu-system-x86_64 -M microvm` for one environment. Pure: options in, argv out
 * (unit tests pin it). Devices are virtio-mmio: the root disk (a qcow2 overlay on the image's
 * ext4 base) as virtio-blk, the bulk channel's disk as a second, read-only virtio-blk with the
 * serial berth.bulk (ADR 0084), the control channel as a virtio-serial port named berth.ctl (not a
 * virtconsole: QEMU drops console output its socket cannot take; ADR 0052), the kernel console on the ISA serial port (ttyS0) into a file or pipe, QMP on a unix
 * socket, and with `--network user` a virtio-net NIC on QEMU's user-mode stack with hostfwd.
 */

export interface PortForward {
  proto: 'tcp' | 'udp';
  /** Host address to listen on (default 127.0.0.1). */
  hostAddr?: string;
  hostPort: number;
  guestPort: number;
}

export type SerialTarget =
  | { kind: 'file'; path: string }
  | { kind: 'pipe'; path: string } // path.in / path.out FIFOs made by the caller
  | { kind: 'stdio' }
  | { kind: 'none' };

export interface QemuOptions {
  binary?: string;
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  /**
   * What the guest boots. Left off the argv of a VM resumed from a saved state (`incoming`): its
   * kernel already runs in the RAM it gets back, and QEMU would read the 14 MB kernel for nothing
   * (a template clone's start, ADR 0068). Neither is a RAM block, so the saved state matches.
   */
  kernel: string;
  initrd: string;
  append: string;
  disk?: { path: string; format: 'qcow2' | 'raw'; readOnly?: boolean };
  /**
   * The bulk channel's disk (ADR 0084): a raw file the monitor writes a session's stdin into; the
   * guest reads it (read-only) as the virtio-blk disk whose serial is berth.bulk. After the root
   * disk, so the root stays /dev/vda.
   */
  bulkDisk?: string;
  /** Unix socket QEMU listens on for the guest's control channel (virtio-serial port "berth.ctl"). */
  controlSocket?: string;
  /** Unix socket QEMU listens on for QMP. */
  qmpSocket?: string;
  serial: SerialTarget;
  /** tap: a tap device made beforehand (on a berth bridge), opened by name. */
  network:
    | { mode: 'none' }
    | { mode: 'user'; forwards?: PortForward[]; mac?: string }
    | { mode: 'tap'; ifname: string; mac: string; mtu?: number };
  /** Start with the CPUs stopped (-S); `cont` over QMP starts it. */
  paused?: boolean;
  /** Write the QEMU process id here. */
  pidFile?: string;
  /** Start from a saved state instead of booting (a migration URI, vm-state-file.ts). */
  incoming?: string;
  /**
   * virtiofs shares (-v, ADR 0059): a vhost-user-fs device per virtiofsd socket. The guest's RAM
   * is then a shared memfd (virtiofsd maps it), which a template's saved state was not made with.
   */
  shares?: { tag: string; socket: string }[];
  /**
   * The guest's RAM in a file (templates, ADR 0066): `shared` (a template build: the RAM is the
   * file, saved with the x-ignore-shared capability) or private (a clone: a copy-on-write mapping
   * of the template's file, so clones share its unchanged pages in the host's page cache).
   */
  memoryFile?: { path: string; shared: boolean };
}

/** The serial the guest init finds the bulk channel's disk by (native/init/bulk.c). */
export const BULK_DISK_SERIAL = 'berth.bulk';

/** The machine every microvm runs on (a template records it: a clone must match). */
export const MICROVM_MACHINE = 'microvm,isa-serial=on,rtc=on';

/** QEMU's option syntax doubles a literal comma inside a value. */
export function qemuEscape(v: string): string {
  return v.replace(/,/g, ',,');
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`${what} ${p} is not a port number (1-65535)`);
}

export function hostfwd(f: PortForward): string {
  checkPort(f.hostPort, 'host port');
  checkPort(f.guestPort, 'guest port');
  return `hostfwd=${f.proto}:${f.hostAddr ?? '127.0.0.1'}:${f.hostPort}-:${f.guestPort}`;
}

export function qemuArgv(o: QemuOptions): string[] {
  if (!Number.isInteger(o.memoryMiB) || o.memoryMiB < 1)
    throw new RangeError(`memory ${o.memoryMiB} MiB is not a positive integer`);
  if (!Number.isInteger(o.cpus) || o.cpus < 1) throw new RangeError(`cpus ${o.cpus} is not a positive integer`);
  const shares = o.shares ?? [];
  const argv = [
    o.binary ?? 'qemu-system-x86_64',
    '-M',
    shares.length > 0 || o.memoryFile ? `${MICROVM_MACHINE},memory-backend=ram` : MICROVM_MACHINE,
    '-accel',
    o.accel,
    '-m',
    `${o.memoryMiB}M`,
    '-smp',
    String(o.cpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
  ];
  if (!o.incoming) argv.push('-kernel', o.kernel, '-initrd', o.initrd, '-append', o.append);
  if (shares.length > 0 && o.memoryFile) throw new RangeError('virtiofs shares need memfd RAM, not a memory file');
  if (o.memoryFile)
    argv.push(
      '-object',
      `memory-backend-file,id=ram,size=${o.memoryMiB}M,mem-path=${qemuEscape(o.memoryFile.path)},share=${o.memoryFile.shared ? 'on' : 'off'}`,
    );
  // virtiofsd's libvhost-user serves virtio 1.0 only: the virtio-mmio transport goes modern (version 2).
  if (shares.length > 0)
    argv.push(
      '-global',
      'virtio-mmio.force-legacy=false',
      '-object',
      `memory-backend-memfd,id=ram,size=${o.memoryMiB}M,share=on`,
    );
  for (const [i, sh] of shares.entries()) {
    if (!/^[A-Za-z0-9_-]{1,36}$/.test(sh.tag)) throw new RangeError(`virtiofs tag "${sh.tag}" is not a tag`);
    argv.push(
      '-chardev',
      `socket,id=fs${i},path=${qemuEscape(sh.socket)}`,
      '-device',
      `vhost-user-fs-device,chardev=fs${i},tag=${sh.tag}`,
    );
  }
  if (o.disk) {
    const ro = o.disk.readOnly ? ',read-only=on' : '';
    argv.push(
      '-drive',
      `id=root,file=${qemuEscape(o.disk.path)},format=${o.disk.format},if=none,cache=unsafe,discard=unmap${ro}`,
      '-device',
      'virtio-blk-device,drive=root',
    );
  }
  if (o.bulkDisk)
    argv.push(
      '-drive',
      `id=bulk,file=${qemuEscape(o.bulkDisk)},format=raw,if=none,read-only=on`,
      '-device',
      `virtio-blk-device,drive=bulk,serial=${BULK_DISK_SERIAL}`,
    );
  if (o.controlSocket) {
    argv.push(
      '-device',
      'virtio-serial-device,max_ports=2',
      '-chardev',
      `socket,id=ctl,path=${qemuEscape(o.controlSocket)},server=on,wait=off`,
      '-device',
      'virtserialport,chardev=ctl,name=berth.ctl,nr=1',
    );
  }
  switch (o.serial.kind) {
    case 'file':
      argv.push('-chardev', `file,id=con,path=${qemuEscape(o.serial.path)}`, '-serial', 'chardev:con');
      break;
    case 'pipe':
      argv.push('-chardev', `pipe,id=con,path=${qemuEscape(o.serial.path)}`, '-serial', 'chardev:con');
      break;
    case 'stdio':
      argv.push('-serial', 'stdio');
      break;
    case 'none':
      break;
  }
  if (o.qmpSocket)
    argv.push(
      '-chardev',
      `socket,id=qmp,path=${qemuEscape(o.qmpSocket)},server=on,wait=off`,
      '-mon',
      'chardev=qmp,mode=control',
    );
  if (o.network.mode === 'user') {
    const fwd = (o.network.forwards ?? []).map(hostfwd);
    argv.push(
      '-netdev',
      ['user', 'id=net0', ...fwd].join(','),
      '-device',
      `virtio-net-device,netdev=net0${o.network.mac ? `,mac=${o.network.mac}` : ''}`,
    );
  }
  if (o.network.mode === 'tap') {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(o.network.ifname))
      throw new RangeError(`tap name "${o.network.ifname}" is not a device name`);
    // host_mtu: the guest's virtio-net driver may then take the tap's MTU (above 1500).
    const mtu = o.network.mtu !== undefined ? `,host_mtu=${o.network.mtu}` : '';
    argv.push(
      '-netdev',
      `tap,id=net0,ifname=${o.network.ifname},script=no,downscript=no`,
      '-device',
      `virtio-net-device,netdev=net0,mac=${o.network.mac}${mtu}`,
    );
  }
  if (o.paused) argv.push('-S');
  if (o.pidFile) argv.push('-pidfile', o.pidFile);
  if (o.incoming) argv.push('-incoming', o.incoming);
  return argv;
}

export interface GuestAppend {
  /** Root disk device in the guest (microvm: /dev/vda). */
  root: string;
  rootfstype?: string;
  /** Control channel: a tty's path, or a virtio-serial port's name (microvm: berth.ctl). */
  ctl?: string;
  hostname?: string;
  diskSizeBytes?: number;
  /** Kernel console (microvm: ttyS0). */
  console?: string;
  /** Quieter boot (loglevel) unless debugging. */
  quiet?: boolean;
  /**
   * Under TCG: the host's TSC rate in kHz. microvm is a hardware-reduced ACPI machine (no PIT,
   * HPET or PM timer), so a TCG guest cannot calibrate its TSC and hangs; `tsc_early_khz` tells it.
   */
  tscKhz?: number;
  extra?: string[];
}

const SAFE = /^[A-Za-z0-9._:/@+-]+$/;

/** The kernel command line of the guest boot contract. Pure. */
export function guestAppend(a: GuestAppend): string {
  // cryptomgr.notests: no self-tests of the kernel's crypto algorithms at boot (0.22 s of a TCG
  // boot here; ADR 0077).
  const parts = [`console=${a.console ?? 'ttyS0'}`, 'reboot=t', 'panic=-1', 'cryptomgr.notests'];
  if (a.quiet !== false) parts.push('quiet', 'loglevel=4');
  if (a.tscKhz !== undefined) {
    if (!Number.isInteger(a.tscKhz) || a.tscKhz <= 0)
      throw new RangeError(`tsc rate ${a.tscKhz} kHz is not a positive integer`);
    parts.push(`tsc_early_khz=${a.tscKhz}`);
  }
  const kv: [string, string | undefined][] = [
    ['berth.root', a.root],
    ['berth.rootfstype', a.rootfstype ?? 'ext4'],
    ['berth.ctl', a.ctl],
    ['berth.hostname', a.hostname],
    ['berth.disk_size', a.diskSizeBytes === undefined ? undefined : String(a.diskSizeBytes)],
  ];
  for (const [k, v] of kv) {
    if (v === undefined) continue;
    if (!SAFE.test(v)) throw new RangeError(`${k} value "${v}" has characters a kernel command line cannot carry`);
    parts.push(`${k}=${v}`);
  }
  return [...parts, ...(a.extra ?? [])].join(' ');
}
