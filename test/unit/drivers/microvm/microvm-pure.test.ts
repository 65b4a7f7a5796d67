import { test } from 'node:test';
import assert from 'node:assert/strict';
import { microvmLaunch } from '../../../../src/drivers/microvm/microvm-launch.js';
import { USER_NET_ARG } from '../../../../src/drivers/vm/user-net-guest.js';
import type { MicrovmFiles } from '../../../../src/drivers/microvm/microvm-files.js';
import { toPortForward } from '../../../../src/drivers/microvm/port-forwards.js';
import { chooseAccel } from '../../../../src/drivers/microvm/microvm-accel.js';
import { parseAccel } from '../../../../src/core/accel.js';
import { resolveSpec } from '../../../../src/core/resolved-spec.js';
import { validateMicrovm, MICROVM_MEMORY_FLOOR } from '../../../../src/drivers/microvm/microvm-capabilities.js';
import { checkCheckpointName, hmpFailure } from '../../../../src/drivers/microvm/qmp-control.js';
import { defaultSpec } from '../../../../src/core/spec.js';
import { isBerthError } from '../../../../src/core/errors.js';

const FILES: MicrovmFiles = {
  kernel: '/k/vmlinuz',
  kernelRelease: '6.1.0-x-cloud-amd64',
  initrd: '/k/i.cpio.gz',
  base: '/d/base.ext4',
  baseBytes: 1 << 30,
  overlay: '/e/disk.qcow2',
  diskBytes: 1 << 30,
  accel: 'tcg',
  accelReason: 'TCG',
  network: 'none',
  forwards: [],
  runDir: '/run/berth/vm/abc',
};

const arg = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

test('launch: qcow2 overlay as virtio-blk, ctl virtio-serial port (its own flow control) + QMP in the run dir, console on stdio, TCG gets tsc_early_khz', () => {
  const l = microvmLaunch({ files: FILES, memoryMiB: 256, cpus: 2, hostname: 'box', tscKhz: 2_000_000 });
  assert.deepEqual(l.ctl, { kind: 'unix', path: '/run/berth/vm/abc/ctl.sock', flow: 'stream' });
  assert.equal(arg(l.argv, '-accel'), 'tcg');
  assert.equal(arg(l.argv, '-m'), '256M');
  assert.equal(arg(l.argv, '-smp'), '2');
  assert.ok(l.argv.includes('id=root,file=/e/disk.qcow2,format=qcow2,if=none,cache=unsafe,discard=unmap'));
  assert.ok(l.argv.includes('socket,id=qmp,path=/run/berth/vm/abc/qmp.sock,server=on,wait=off'));
  assert.ok(l.argv.includes('virtserialport,chardev=ctl,name=berth.ctl,nr=1'));
  assert.equal(arg(l.argv, '-serial'), 'stdio');
  const append = arg(l.argv, '-append')!;
  assert.match(append, /berth\.root=\/dev\/vda berth\.rootfstype=ext4 berth\.ctl=berth\.ctl berth\.hostname=box/);
  assert.match(append, /tsc_early_khz=2000000/);
  assert.doesNotMatch(append, /berth\.disk_size|berth\.net/);
  assert.ok(!l.argv.includes('-netdev'));
});

test('launch: KVM needs no TSC hint; a bigger disk asks the guest to grow; --network user adds the NIC, forwards and berth.net', () => {
  const l = microvmLaunch({
    files: {
      ...FILES,
      accel: 'kvm',
      diskBytes: 2 * 2 ** 30,
      network: 'user',
      forwards: [{ proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
    },
    memoryMiB: 512,
    cpus: 1,
    hostname: 'h',
    tscKhz: 2_000_000,
  });
  const append = arg(l.argv, '-append')!;
  assert.doesNotMatch(append, /tsc_early_khz/);
  assert.match(append, new RegExp(`berth\\.disk_size=${2 * 2 ** 30}`));
  assert.ok(append.endsWith(USER_NET_ARG));
  assert.equal(arg(l.argv, '-netdev'), 'user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80');
});

test("templates (ADR 0066): a build keeps the RAM in a shared file; a clone maps its template's privately and loads the state deferred", () => {
  const build = microvmLaunch({
    files: FILES,
    memoryMiB: 256,
    cpus: 1,
    hostname: 'b',
    templateBuild: true,
    memoryFile: { path: '/e/vm-ram', shared: true },
  });
  assert.equal(arg(build.argv, '-M'), 'microvm,isa-serial=on,rtc=on,memory-backend=ram');
  assert.equal(arg(build.argv, '-object'), 'memory-backend-file,id=ram,size=256M,mem-path=/e/vm-ram,share=on');
  assert.ok(!build.argv.includes('-incoming'));
  const clone = microvmLaunch({
    files: { ...FILES, template: { name: 't', state: '/t/vm-state', memory: '/t/vm-ram' } },
    memoryMiB: 256,
    cpus: 1,
    hostname: 'c',
    memoryFile: { path: '/t/vm-ram', shared: false },
  });
  assert.equal(arg(clone.argv, '-object'), 'memory-backend-file,id=ram,size=256M,mem-path=/t/vm-ram,share=off');
  assert.equal(arg(clone.argv, '-incoming'), 'defer');
  // ADR 0068: its kernel runs in the RAM it resumes; QEMU reads no kernel, initramfs or command line.
  for (const flag of ['-kernel', '-initrd', '-append']) assert.ok(!clone.argv.includes(flag), flag);
  for (const flag of ['-kernel', '-initrd', '-append']) assert.ok(build.argv.includes(flag), flag);
  // A template whose state holds the RAM (made before, or from a running environment): read at start.
  const older = microvmLaunch({
    files: { ...FILES, template: { name: 't', state: "/t/it's" } },
    memoryMiB: 256,
    cpus: 1,
    hostname: 'c',
  });
  assert.equal(arg(older.argv, '-incoming'), `exec:cat '/t/it'\\''s'`);
  assert.equal(arg(older.argv, '-M'), 'microvm,isa-serial=on,rtc=on');
  assert.ok(!older.argv.includes('-kernel'));
  assert.ok(!older.argv.includes('-object'));
});

test('-p as parsed by the shared parser becomes a QEMU hostfwd (no address = every local one)', () => {
  assert.deepEqual(toPortForward({ hostPort: 8080, guestPort: 80, protocol: 'tcp' }), {
    proto: 'tcp',
    hostAddr: '0.0.0.0',
    hostPort: 8080,
    guestPort: 80,
  });
  assert.deepEqual(toPortForward({ hostIp: '127.0.0.1', hostPort: 53, guestPort: 5353, protocol: 'udp' }), {
    proto: 'udp',
    hostAddr: '127.0.0.1',
    hostPort: 53,
    guestPort: 5353,
  });
});

test('--accel: tcg never probes; auto falls back to TCG saying why; kvm without KVM is an error', async () => {
  let probed = 0;
  const no = async () => {
    probed++;
    return { ok: false, detail: '/dev/kvm absent' };
  };
  const yes = async () => ({ ok: true, detail: 'booted' });
  assert.deepEqual(await chooseAccel('tcg', no), {
    accel: 'tcg',
    reason: 'TCG (software emulation): asked for with --accel tcg',
  });
  assert.equal(probed, 0);
  const auto = await chooseAccel('auto', no);
  assert.equal(auto.accel, 'tcg');
  assert.match(auto.reason, /KVM does not work here: \/dev\/kvm absent/);
  assert.equal((await chooseAccel('auto', yes)).accel, 'kvm');
  assert.equal((await chooseAccel('kvm', yes)).accel, 'kvm');
  await assert.rejects(
    chooseAccel('kvm', no),
    (e: unknown) => isBerthError(e) && e.code === 'kvm-unusable' && /--accel tcg/.test(e.fix ?? ''),
  );
  assert.equal(parseAccel(undefined), 'auto');
  assert.throws(() => parseAccel('warp'), /unknown --accel "warp"/);
});

test("validate: memory floor, whole cpus, -v only with virtiofsd (and sub-ids); KVM for auto is the registry's call, not validate's", () => {
  const spec = defaultSpec({ backend: 'microvm' });
  const noKvm = () => false;
  /** As the registry hands it to the microvm backend. */
  const resolved = (s: typeof spec) => resolveSpec(s, 'microvm', false).spec;
  assert.deepEqual(validateMicrovm(resolved(spec), noKvm), []);
  assert.deepEqual(
    validateMicrovm(resolved({ ...spec, limits: { memoryBytes: MICROVM_MEMORY_FLOOR - 1 } }), noKvm).map(
      (p) => p.field,
    ),
    ['memory'],
  );
  assert.deepEqual(
    validateMicrovm(resolved({ ...spec, limits: { cpus: 1.5 } }), noKvm).map((p) => p.field),
    ['cpus'],
  );
  // -v (ADR 0059): refused only without virtiofsd, or for a normal user without sub-ids.
  const withV = resolved({ ...spec, mounts: [{ source: '/a', target: '/b', readOnly: false }] });
  const host = (virtiofsd: boolean, subIds: boolean) => ({ virtiofsd: () => virtiofsd, subIds: () => subIds });
  assert.deepEqual(validateMicrovm(withV, noKvm, false, host(true, false)), []);
  assert.deepEqual(validateMicrovm(withV, noKvm, true, host(true, true)), []);
  assert.deepEqual(
    validateMicrovm(withV, noKvm, false, host(false, true)).map((p) => p.field),
    ['volume'],
  );
  assert.deepEqual(
    validateMicrovm(withV, noKvm, true, host(true, false)).map((p) => p.field),
    ['volume'],
  );
  assert.deepEqual(
    validateMicrovm(resolved({ ...spec, accel: 'kvm' }), noKvm).map((p) => p.field),
    ['accel'],
  );
  assert.deepEqual(validateMicrovm(resolved({ ...spec, backend: 'auto' }), noKvm), []);
  assert.deepEqual(validateMicrovm(resolved({ ...spec, backend: 'auto', accel: 'tcg' }), noKvm), []);
  assert.deepEqual(
    validateMicrovm(resolved({ ...spec, backend: 'auto' }), () => true),
    [],
  );
});

test('checkpoint names and HMP answers', () => {
  checkCheckpointName('cp-1.a_b');
  for (const bad of ['', '-x', 'a b', 'a;quit', 'x'.repeat(65)])
    assert.throws(() => checkCheckpointName(bad), /invalid checkpoint name/, bad);
  assert.equal(hmpFailure(''), undefined);
  assert.equal(hmpFailure('\r\n'), undefined);
  assert.match(
    hmpFailure("Error: Device 'root' is writable but does not support snapshots\r\n")!,
    /does not support snapshots/,
  );
});
