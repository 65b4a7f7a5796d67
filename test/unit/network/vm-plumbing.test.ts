import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tapName, tapCreateBatch, guestMac } from '../../../src/network/net-cmdline.js';
import { reachableNameserver } from '../../../src/network/resolv.js';
import { qemuArgv } from '../../../src/drivers/microvm/qemu-cmdline.js';
import { vmNetworkProblems } from '../../../src/drivers/common/network-validate.js';
import { defaultSpec, type EnvSpec } from '../../../src/core/spec.js';
import { resolveSpec } from '../../../src/core/resolved-spec.js';

const vm = (partial: Partial<EnvSpec>, backend: 'uml' | 'microvm', rootless = false) =>
  resolveSpec(defaultSpec(partial), backend, rootless).spec;

test("a VM's tap: a short stable name, plugged into the bridge and up", () => {
  assert.equal(tapName('0123456789abcdef'), 'bt0123456789a');
  assert.ok(tapName('f'.repeat(64)).length <= 15);
  assert.equal(
    tapCreateBatch('bt1', 'berth0', 1500),
    'tuntap add dev bt1 mode tap\nlink set bt1 mtu 1500 master berth0\nlink set bt1 up\n',
  );
});

test("root's uml kernel opens its tap as its own uid: the tap is made owned by it (ADR 0046)", () => {
  assert.equal(
    tapCreateBatch('bt1', 'berth0', 1500, { uid: 1879048200, gid: 1879048200 }).split('\n')[0],
    'tuntap add dev bt1 mode tap user 1879048200 group 1879048200',
  );
});

test("a VM's MAC comes from its leased address: locally administered, unicast, distinct per address", () => {
  assert.equal(guestMac('10.126.0.3'), '02:b7:0a:7e:00:03');
  assert.notEqual(guestMac('10.126.0.3'), guestMac('10.126.0.4'));
  assert.throws(() => guestMac('10.0.0'), /not an IPv4 address/);
  assert.throws(() => guestMac('10.0.0.256'), /not an IPv4 address/);
});

test("the guest's DNS: the host's first nameserver a bridged guest can reach (not loopback)", () => {
  assert.equal(reachableNameserver('# x\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n'), '192.0.2.1');
  assert.equal(reachableNameserver('nameserver 127.0.0.1\n'), undefined);
  assert.equal(reachableNameserver(''), undefined);
});

test("qemu argv: a bridge network is a tap opened by name with the environment's MAC", () => {
  const argv = qemuArgv({
    accel: 'tcg',
    memoryMiB: 256,
    cpus: 1,
    kernel: '/k',
    initrd: '/i',
    append: 'x',
    serial: { kind: 'none' },
    network: { mode: 'tap', ifname: 'bt1', mac: '02:b7:0a:7e:00:03', mtu: 65520 },
  });
  assert.deepEqual(argv.slice(-4), [
    '-netdev',
    'tap,id=net0,ifname=bt1,script=no,downscript=no',
    '-device',
    'virtio-net-device,netdev=net0,mac=02:b7:0a:7e:00:03,host_mtu=65520',
  ]);
  assert.throws(
    () =>
      qemuArgv({
        accel: 'tcg',
        memoryMiB: 256,
        cpus: 1,
        kernel: '/k',
        initrd: '/i',
        append: 'x',
        serial: { kind: 'none' },
        network: { mode: 'tap', ifname: 'a,b', mac: 'm' },
      }),
    /not a device name/,
  );
});

test('VM network modes: host refused, bridges need root, -p needs a network of its own', () => {
  const port = { hostPort: 8080, guestPort: 80, protocol: 'tcp' as const };
  assert.deepEqual(vmNetworkProblems(vm({ network: 'bridge', ports: [port] }, 'microvm'), false, 'microvm'), []);
  assert.deepEqual(vmNetworkProblems(vm({ network: 'user', ports: [port] }, 'microvm', true), true, 'microvm'), []);
  assert.match(
    vmNetworkProblems(vm({ network: 'host' }, 'microvm'), false, 'microvm')[0]!.message,
    /microvm guest runs its own kernel/,
  );
  assert.match(
    vmNetworkProblems(vm({ network: 'lan' }, 'uml', true), true, 'uml')[0]!.message,
    /--network lan \(a bridge\) needs root/,
  );
  assert.match(
    vmNetworkProblems(vm({ network: 'none', ports: [port] }, 'uml'), false, 'uml')[0]!.message,
    /-p needs a network/,
  );
  // A value that names nothing is refused where it is parsed, once, before any backend's rules.
  assert.throws(() => vm({ network: 'pasta' }, 'uml'), /berth picks pasta or slirp4netns/);
});
