import { test } from 'node:test';
import assert from 'node:assert/strict';
import { umlArgv } from '../../../src/drivers/uml/uml-cmdline.js';
import { umlEnforcement, validateUml } from '../../../src/drivers/uml/uml-capabilities.js';
import { defaultSpec, type EnvSpec } from '../../../src/core/spec.js';
import { resolveSpec } from '../../../src/core/resolved-spec.js';
import { driverFor } from '../../../src/drivers/backend-driver.js';
import { BACKENDS } from '../../../src/drivers/registry.js';
import { umlBackend } from '../../../src/drivers/uml/register.js';
import { EnvStore } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';

/** A spec as the registry hands it to the uml backend. */
const uml = (partial: Partial<EnvSpec> = {}, rootless = false) =>
  resolveSpec(defaultSpec(partial), 'uml', rootless).spec;

const base = {
  kernel: '/usr/bin/linux.uml',
  memoryMiB: 256,
  umid: 'berth-abc',
  umlDir: '/run/berth/vm/abc',
  cow: '/e/disk.cow',
  base: '/d/base.ext4',
  initrd: '/k/initramfs.cpio',
  ctlFd: 3,
  consoleFd: 4,
  hostname: 'box1',
};

test('uml argv: memory, umid, COW over base, initrd, console and control lines as fds, boot contract keys', () => {
  assert.deepEqual(umlArgv(base), [
    '/usr/bin/linux.uml',
    'mem=256M',
    'umid=berth-abc',
    'uml_dir=/run/berth/vm/abc',
    'ubd0c=/e/disk.cow,/d/base.ext4',
    'initrd=/k/initramfs.cpio',
    'con=none',
    'ssl=none',
    'pty.legacy_count=0',
    'initcall_blacklist=raid6_select_algo',
    'con0=null,fd:4',
    'ssl0=fd:3,fd:3',
    'rdinit=/init',
    'quiet',
    'berth.root=/dev/ubda',
    'berth.rootfstype=ext4',
    'berth.ctl=/dev/ttyS0',
    'berth.hostname=box1',
  ]);
  assert.ok(umlArgv({ ...base, diskSize: 2 ** 31 }).includes('berth.disk_size=2147483648'));
  assert.equal(umlArgv({ ...base, memoryMiB: 100 })[1], 'mem=100M');
});

test("uml argv: --network user is the kernel's slirp transport plus the guest address; modules are shared by path", () => {
  const argv = umlArgv({ ...base, slirp: '/usr/bin/slirp-fullbolt', modules: '/usr/lib/uml/modules/6.1.176' });
  assert.deepEqual(argv.slice(-3), [
    'berth.modules=/usr/lib/uml/modules/6.1.176',
    'eth0=slirp,,/usr/bin/slirp-fullbolt',
    'berth.net=10.0.2.15/24,10.0.2.2,10.0.2.3',
  ]);
  assert.throws(() => umlArgv({ ...base, modules: '/a b' }), /modules path/);
});

test('uml argv: the bulk channel directory is a boot key the init mounts by hostfs (ADR 0053)', () => {
  assert.equal(
    umlArgv(base).some((a) => a.startsWith('berth.bulk=')),
    false,
  );
  assert.ok(
    umlArgv({ ...base, bulk: '/run/berth/vm/0123456789abcdef/bulk' }).includes(
      'berth.bulk=/run/berth/vm/0123456789abcdef/bulk',
    ),
  );
  assert.throws(() => umlArgv({ ...base, bulk: '/run/a,b' }), /bulk channel path/);
});

test("uml argv: a bridge network is the kernel's tuntap transport on the tap berth made, plus the leased address", () => {
  const tap = { name: 'btabc', mac: '02:b7:0a:7e:00:03', guestArg: 'berth.net=10.126.0.3/24,10.126.0.1' };
  assert.deepEqual(umlArgv({ ...base, tap }).slice(-2), [
    'eth0=tuntap,btabc,02:b7:0a:7e:00:03',
    'berth.net=10.126.0.3/24,10.126.0.1',
  ]);
  assert.throws(() => umlArgv({ ...base, tap: { ...tap, name: 'a,b' } }), /not a device name/);
  assert.throws(() => umlArgv({ ...base, tap: { ...tap, mac: 'zz' } }), /not a MAC/);
  assert.throws(() => umlArgv({ ...base, tap: { ...tap, guestArg: 'init=/bin/sh' } }), /not a guest network argument/);
});

test('validate: none, user, and bridge networks as root; -p needs a network; UDP only on a bridge', () => {
  const port = { hostPort: 8080, guestPort: 80, protocol: 'tcp' as const };
  const udp = { ...port, protocol: 'udp' as const };
  assert.deepEqual(validateUml(uml({ network: 'user', ports: [port] })), []);
  assert.deepEqual(validateUml(uml({ network: 'user', ports: [{ ...port, hostIp: '127.0.0.1' }] })), []);
  assert.deepEqual(validateUml(uml({ network: 'bridge', ports: [udp] })), []);
  assert.deepEqual(validateUml(uml({ network: 'mynet' })), []);
  assert.match(validateUml(uml({ network: 'bridge' }, true), true)[0]!.message, /needs root/);
  assert.match(validateUml(uml({ network: 'host' }))[0]!.message, /cannot share the host's network/);
  assert.match(
    validateUml(uml({ network: 'none', ports: [port] }))[0]!.message,
    /-p needs a network of the environment's own/,
  );
  assert.match(validateUml(uml({ network: 'user', ports: [udp] }))[0]!.message, /TCP ports only/);
});

test('uml argv refuses what would break the kernel command line', () => {
  assert.throws(() => umlArgv({ ...base, cow: '/e,x/disk.cow' }), /no commas/);
  assert.throws(() => umlArgv({ ...base, base: '/d d/base' }), /no commas, blanks/);
  assert.throws(() => umlArgv({ ...base, hostname: 'a b' }), /hostname/);
  assert.throws(() => umlArgv({ ...base, umid: '../x' }), /machine id/);
});

test('validate: -v without commas, a memory floor, cpus and pids only with --ignore-unenforced', () => {
  assert.deepEqual(validateUml(uml()), []);
  assert.deepEqual(validateUml(uml({ mounts: [{ source: '/a', target: '/b', readOnly: false }] })), []);
  assert.deepEqual(
    validateUml(uml({ mounts: [{ source: '/a,b', target: '/b', readOnly: false }] })).map((p) => p.field),
    ['volume'],
  );
  // The floor is uml's own; the limits it cannot enforce follow from its capabilities.
  const driver = driverFor(
    umlBackend,
    new EnvStore(resolvePaths({ BERTH_ROOT: '/nonexistent-berth-test' })),
    BACKENDS.filter((b) => b !== umlBackend),
  );
  assert.deepEqual(
    driver.validate(uml({ limits: { memoryBytes: 8 << 20, cpus: 2, pidsLimit: 5 } }), false).map((p) => p.field),
    ['memory', 'cpus', 'pids-limit'],
  );
  assert.deepEqual(driver.validate(uml({ limits: { cpus: 2 }, ignoreUnenforced: true }), false), []);
});

test('inspect: the guest RAM is the enforced memory limit', () => {
  assert.match(umlEnforcement(uml({ limits: { memoryBytes: 64 << 20 } })).memory!, /mem=64M/);
  assert.match(umlEnforcement(uml()).memory!, /mem=256M/);
});
