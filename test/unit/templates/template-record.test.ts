import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkTemplateName,
  incompatible,
  machineDifferences,
  refuseWithFrom,
  type TemplateMachine,
} from '../../../src/templates/template-record.js';
import { encodeIdentity, FrameType } from '../../../src/drivers/vm/guest-protocol.js';
import { incomingUri, outgoingUri, shellQuote } from '../../../src/drivers/microvm/vm-state-file.js';
import { qemuArgv } from '../../../src/drivers/microvm/qemu-cmdline.js';
import { qcow2CreateArgv } from '../../../src/disks/qcow2-cmdline.js';
import { keptText } from '../../../src/cli/commands/template.js';

const made: TemplateMachine = {
  kernel: '/k/kernel@1:2:3',
  kernelRelease: '6.1.0-cloud',
  initrd: '/k/initrd@4:5:6',
  qemu: '/usr/bin/qemu-system-x86_64@7:8',
  qemuVersion: 'QEMU emulator version 7.2.22',
  machine: 'microvm,isa-serial=on,rtc=on',
  accel: 'tcg',
  memoryBytes: 256 * 1048576,
  cpus: 1,
  network: 'none',
  diskBytes: 1 << 30,
  baseKey: 'ab',
};

test('the same machine is compatible', () => {
  assert.deepEqual(machineDifferences(made, { ...made }), []);
});

test('every difference is named, with what the template had', () => {
  const now: TemplateMachine = {
    ...made,
    kernel: '/k/kernel@9:9:9',
    qemu: '/usr/bin/qemu-system-x86_64@1:1',
    qemuVersion: 'QEMU emulator version 8.2.0',
    memoryBytes: 512 * 1048576,
    cpus: 2,
    accel: 'kvm',
    network: 'user',
  };
  assert.deepEqual(machineDifferences(made, now), [
    'kernel /k/kernel changed since (6.1.0-cloud)',
    'QEMU QEMU emulator version 8.2.0 (template: QEMU emulator version 7.2.22)',
    'accelerator kvm (template: tcg)',
    'memory 512 MiB (template: 256 MiB)',
    '2 CPUs (template: 1)',
    'network user (template: none)',
  ]);
  assert.deepEqual(machineDifferences(made, { ...made, kernel: '/other/kernel@1:2:3' }), [
    'kernel /other/kernel (template: /k/kernel)',
  ]);
  assert.deepEqual(machineDifferences(made, { ...made, initrd: '/k/initrd@0' }).length, 1);
});

test('the refusal is one line with how to rebuild, exit 125', () => {
  const e = incompatible('py', ['memory 512 MiB (template: 256 MiB)']);
  assert.equal(
    e.oneLine(),
    'template py cannot be resumed here: memory 512 MiB (template: 256 MiB) (rebuild it: berth template rm py, then berth template create py ... again)',
  );
  assert.equal(e.exitCode, 125);
});

test('template names', () => {
  for (const ok of ['py', 'a.b_c-1', '0x']) checkTemplateName(ok);
  for (const bad of ['', 'Py', '-x', '.hidden', 'a/b', 'x'.repeat(65)])
    assert.throws(() => checkTemplateName(bad), /invalid template name/);
});

test('IDENTITY: key NUL value NUL pairs, the seed as hex, nanoseconds padded', () => {
  assert.equal(FrameType.IDENTITY, 0x06);
  const p = encodeIdentity({ hostname: 'c1', time: { sec: 1700000000, nsec: 5 }, seed: Buffer.from([0xab, 0x01]) });
  assert.equal(p.toString(), 'hostname\0c1\0time\x001700000000.000000005\0seed\0ab01\0');
  assert.throws(() => encodeIdentity({ hostname: 'c', time: { sec: 1, nsec: 0 }, seed: Buffer.alloc(0) }), /seed/);
  assert.throws(() => encodeIdentity({ hostname: 'c', time: { sec: 1, nsec: 1e9 }, seed: Buffer.alloc(1) }), /time/);
  assert.throws(() => encodeIdentity({ hostname: 'x'.repeat(65), time: { sec: 1, nsec: 0 }, seed: Buffer.alloc(1) }));
});

test('migration URIs quote the file for sh', () => {
  assert.equal(shellQuote("/a b/it's"), `'/a b/it'\\''s'`);
  assert.equal(outgoingUri('/t/vm-state'), "exec:cat > '/t/vm-state'");
  assert.equal(incomingUri('/t/vm-state'), "exec:cat '/t/vm-state'");
});

test('qemu argv: -incoming last; overlays over a qcow2 template disk', () => {
  const argv = qemuArgv({
    accel: 'tcg',
    memoryMiB: 256,
    cpus: 1,
    kernel: '/k',
    initrd: '/i',
    append: 'x',
    serial: { kind: 'stdio' },
    network: { mode: 'none' },
    incoming: "exec:cat '/s'",
  });
  assert.deepEqual(argv.slice(-2), ['-incoming', "exec:cat '/s'"]);
  assert.deepEqual(
    qcow2CreateArgv({ qemuImg: 'qemu-img', base: '/t/disk.qcow2', overlay: '/e/d', baseFormat: 'qcow2' }),
    ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', '/t/disk.qcow2', '/e/d'],
  );
});

test('what a template keeps, in words', () => {
  const base = { kept: { filesystem: true as const, memory: false, processes: false } };
  assert.equal(keptText(base as never), 'filesystem only (processes are not kept)');
  assert.equal(
    keptText({ kept: { filesystem: true, memory: true, processes: true } } as never),
    'filesystem, memory and processes',
  );
});

test('a clone on a bridge network must have the NIC MTU of the template (a device feature in the saved state)', () => {
  const bridged: TemplateMachine = { ...made, network: 'bridge', mtu: 1500 };
  assert.deepEqual(machineDifferences(bridged, { ...bridged }), []);
  assert.deepEqual(machineDifferences(bridged, { ...bridged, mtu: 9000 }), ['network MTU 9000 (template: 1500)']);
  assert.deepEqual(machineDifferences(bridged, { ...made, network: 'user' }), ['network user (template: bridge)']);
});

test('IDENTITY on a bridge network carries the lease and the MAC; bad ones are refused', () => {
  const net = { lease: '10.126.0.3/24,10.126.0.1,10.126.0.1,1500', mac: '02:b7:0a:7e:00:03' };
  const p = encodeIdentity({ hostname: 'c1', time: { sec: 1, nsec: 0 }, seed: Buffer.from([1]), net });
  assert.ok(p.toString().endsWith(`net\0${net.lease}\0mac\0${net.mac}\0`), JSON.stringify(p.toString()));
  const id = { hostname: 'c', time: { sec: 1, nsec: 0 }, seed: Buffer.from([1]) };
  assert.throws(() => encodeIdentity({ ...id, net: { ...net, mac: '02:b7:0a:7e:00' } }), /bad MAC/);
  assert.throws(() => encodeIdentity({ ...id, net: { ...net, lease: 'x\0y' } }), /bad lease/);
});

test('template create --from takes nothing else: one error naming what was given', () => {
  assert.doesNotThrow(() => refuseWithFrom([]));
  assert.throws(
    () => refuseWithFrom(['--memory', 'busybox']),
    /template create --from takes no run options, image or setup command \(given: --memory, busybox\)/,
  );
});
