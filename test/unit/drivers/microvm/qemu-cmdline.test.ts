import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tscKhzFromCpuinfo } from '../../../../src/host/tsc.js';
import {
  qemuArgv,
  guestAppend,
  hostfwd,
  qemuEscape,
  type QemuOptions,
} from '../../../../src/drivers/microvm/qemu-cmdline.js';

const BASE: QemuOptions = {
  accel: 'tcg',
  memoryMiB: 256,
  cpus: 1,
  kernel: '/k/vmlinuz',
  initrd: '/k/initrd.gz',
  append: 'console=ttyS0',
  serial: { kind: 'none' },
  network: { mode: 'none' },
};
const HEAD = [
  'qemu-system-x86_64',
  '-M',
  'microvm,isa-serial=on,rtc=on',
  '-accel',
  'tcg',
  '-m',
  '256M',
  '-smp',
  '1',
  '-nodefaults',
  '-no-user-config',
  '-display',
  'none',
  '-no-reboot',
  '-kernel',
  '/k/vmlinuz',
  '-initrd',
  '/k/initrd.gz',
  '-append',
  'console=ttyS0',
];

test('qemu argv: the minimal machine', () => {
  assert.deepEqual(qemuArgv(BASE), HEAD);
  assert.deepEqual(qemuArgv({ ...BASE, accel: 'kvm', memoryMiB: 1024, cpus: 2, binary: '/opt/qemu' }).slice(0, 9), [
    '/opt/qemu',
    '-M',
    'microvm,isa-serial=on,rtc=on',
    '-accel',
    'kvm',
    '-m',
    '1024M',
    '-smp',
    '2',
  ]);
});

test('qemu argv: root disk as virtio-blk on a qcow2 overlay (commas escaped)', () => {
  assert.deepEqual(qemuArgv({ ...BASE, disk: { path: '/e/a,b.qcow2', format: 'qcow2' } }).slice(HEAD.length), [
    '-drive',
    'id=root,file=/e/a,,b.qcow2,format=qcow2,if=none,cache=unsafe,discard=unmap',
    '-device',
    'virtio-blk-device,drive=root',
  ]);
  assert.match(
    qemuArgv({ ...BASE, disk: { path: '/b.ext4', format: 'raw', readOnly: true } })[HEAD.length + 1]!,
    /format=raw,.*,read-only=on$/,
  );
});

test('qemu argv: the bulk channel disk (ADR 0084) read-only, found by its serial, after the root disk (root stays /dev/vda)', () => {
  const argv = qemuArgv({ ...BASE, disk: { path: '/e/o.qcow2', format: 'qcow2' }, bulkDisk: '/r/bulk,1.disk' });
  assert.deepEqual(argv.slice(HEAD.length + 4), [
    '-drive',
    'id=bulk,file=/r/bulk,,1.disk,format=raw,if=none,read-only=on',
    '-device',
    'virtio-blk-device,drive=bulk,serial=berth.bulk',
  ]);
  assert.equal(argv[HEAD.length + 3], 'virtio-blk-device,drive=root');
  assert.ok(!qemuArgv(BASE).includes('id=bulk'), 'none unless asked for');
});

test('qemu argv: control channel a virtio-serial port (not a console: QEMU drops console output the socket cannot take), serial console, QMP', () => {
  assert.deepEqual(qemuArgv({ ...BASE, controlSocket: '/r/ctl.sock' }).slice(HEAD.length), [
    '-device',
    'virtio-serial-device,max_ports=2',
    '-chardev',
    'socket,id=ctl,path=/r/ctl.sock,server=on,wait=off',
    '-device',
    'virtserialport,chardev=ctl,name=berth.ctl,nr=1',
  ]);
  assert.deepEqual(qemuArgv({ ...BASE, serial: { kind: 'file', path: '/r/console.log' } }).slice(HEAD.length), [
    '-chardev',
    'file,id=con,path=/r/console.log',
    '-serial',
    'chardev:con',
  ]);
  assert.deepEqual(qemuArgv({ ...BASE, serial: { kind: 'pipe', path: '/r/con' } }).slice(HEAD.length), [
    '-chardev',
    'pipe,id=con,path=/r/con',
    '-serial',
    'chardev:con',
  ]);
  assert.deepEqual(qemuArgv({ ...BASE, qmpSocket: '/r/qmp.sock' }).slice(HEAD.length), [
    '-chardev',
    'socket,id=qmp,path=/r/qmp.sock,server=on,wait=off',
    '-mon',
    'chardev=qmp,mode=control',
  ]);
  assert.deepEqual(qemuArgv({ ...BASE, paused: true, pidFile: '/r/pid' }).slice(HEAD.length), [
    '-S',
    '-pidfile',
    '/r/pid',
  ]);
});

test('qemu argv: --network none adds no NIC; user adds virtio-net with hostfwd', () => {
  assert.ok(!qemuArgv(BASE).includes('-netdev'));
  assert.deepEqual(
    qemuArgv({
      ...BASE,
      network: {
        mode: 'user',
        forwards: [
          { proto: 'tcp', hostPort: 8080, guestPort: 80 },
          { proto: 'udp', hostAddr: '0.0.0.0', hostPort: 53, guestPort: 5353 },
        ],
      },
    }).slice(HEAD.length),
    [
      '-netdev',
      'user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:53-:5353',
      '-device',
      'virtio-net-device,netdev=net0',
    ],
  );
  assert.deepEqual(qemuArgv({ ...BASE, network: { mode: 'user' } }).slice(HEAD.length), [
    '-netdev',
    'user,id=net0',
    '-device',
    'virtio-net-device,netdev=net0',
  ]);
});

test('qemu argv: bad numbers are refused', () => {
  assert.throws(() => qemuArgv({ ...BASE, memoryMiB: 0 }), RangeError);
  assert.throws(() => qemuArgv({ ...BASE, cpus: 1.5 }), RangeError);
  assert.throws(() => hostfwd({ proto: 'tcp', hostPort: 70000, guestPort: 80 }), RangeError);
  assert.equal(qemuEscape('a,b,,c'), 'a,,b,,,,c');
});

test('guest kernel command line: the boot contract keys', () => {
  assert.equal(
    guestAppend({ root: '/dev/vda', ctl: '/dev/hvc0', hostname: 'web-1', diskSizeBytes: 1073741824 }),
    'console=ttyS0 reboot=t panic=-1 cryptomgr.notests quiet loglevel=4 berth.root=/dev/vda berth.rootfstype=ext4 berth.ctl=/dev/hvc0 berth.hostname=web-1 berth.disk_size=1073741824',
  );
  assert.equal(
    guestAppend({ root: '/dev/vda', quiet: false, extra: ['x=1'] }),
    'console=ttyS0 reboot=t panic=-1 cryptomgr.notests berth.root=/dev/vda berth.rootfstype=ext4 x=1',
  );
  assert.throws(() => guestAppend({ root: '/dev/vda', hostname: 'a b' }), RangeError);
  assert.equal(
    guestAppend({ root: '/dev/vda', quiet: false, tscKhz: 2294608 }),
    'console=ttyS0 reboot=t panic=-1 cryptomgr.notests tsc_early_khz=2294608 berth.root=/dev/vda berth.rootfstype=ext4',
  );
  assert.throws(() => guestAppend({ root: '/dev/vda', tscKhz: 0 }), RangeError);
});

test('host TSC rate from /proc/cpuinfo', () => {
  assert.equal(tscKhzFromCpuinfo('processor\t: 0\ncpu MHz\t\t: 2294.608\ncache size\t: 1 KB\n'), 2294608);
  assert.equal(tscKhzFromCpuinfo('processor: 0\n'), undefined);
});
