/**
 * The VM backends on bridge networks, for real, inside a network namespace this test makes:
 * a container, a microvm and a uml guest each serve HTTP (busybox httpd) on one named network,
 * and each kind of client (and a chroot with a namespace of its own) fetches the others by name; the VMs' published ports answer on
 * 127.0.0.1 (nftables DNAT, as for containers); a guest's /etc/hosts follows peers joining and
 * leaving; rm leaves no tap, rule or lease. Bad input: one line, exit 125, nothing left. The
 * microvm server forked live (`template create --from`) and two clones of it each take their own
 * MAC and lease and reach each other (bridges for VMs need root, so root only).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, makeRunner, type Runner } from '../../helpers/berth-cli.js';
import { bridgeRig } from '../../helpers/bridge-rig.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';
import { links, type TestNetns } from '../../helpers/netns.js';
import { findExecutable } from '../../../src/host/probes/exec.js';
import { bridgeNameFor } from '../../../src/network/network-store.js';
import { assertPortHeld } from '../../helpers/held-port.js';
import { tmpdir } from 'node:os';

const TOOLS = ['ip', 'nft', 'busybox', 'qemu-system-x86_64', 'linux.uml'];
const missingTools = TOOLS.filter((t) => !findExecutable(t));
const ready = isRoot() && missingTools.length === 0;
const why = !isRoot() ? 'root (the test makes a network namespace)' : `tools: ${missingTools.join(', ')}`;
const NET = 'tvm';
const VM_MS = 240_000;

/** A server: writes its own page, then runs busybox httpd in the foreground. */
function serve(text: string): string[] {
  return [
    'busybox',
    '--',
    'sh',
    '-c',
    `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`,
  ];
}

async function until(what: string, ok: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('VM backends on a bridge network, in a test-made network namespace', { concurrency: 1 }, () => {
  let ns: TestNetns | undefined;
  let root: Runner;
  const rig = bridgeRig({ kernels: ['microvm', 'uml'], network: NET, vmMs: VM_MS });
  before(async () => {
    if (ready) ({ ns, root } = await rig.setUp());
  });
  after(() => rig.tearDown());

  it("container, microvm and uml reach each other by name; the VMs' published ports answer on 127.0.0.1", {
    timeout: 900_000,
  }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const created = await ns!.berth(root, ['network', 'create', NET, '--subnet', '10.126.0.0/24']);
    assert.equal(created.code, 0, created.stderr);
    const servers = await Promise.all([
      ns!.berth(
        root,
        ['run', '-d', '-q', '--name', 'srv-c', '--backend', 'container', '--network', NET, ...serve('from-container')],
        VM_MS,
      ),
      ns!.berth(
        root,
        [
          'run',
          '-d',
          '-q',
          '--name',
          'srv-m',
          '--backend',
          'microvm',
          '--network',
          NET,
          '-p',
          '127.0.0.1:18210:80',
          ...serve('from-microvm'),
        ],
        VM_MS,
      ),
      ns!.berth(
        root,
        [
          'run',
          '-d',
          '-q',
          '--name',
          'srv-u',
          '--backend',
          'uml',
          '--network',
          NET,
          '-p',
          '127.0.0.1:18211:80',
          ...serve('from-uml'),
        ],
        VM_MS,
      ),
    ]);
    for (const s of servers) assert.equal(s.code, 0, s.stderr);
    // Each kind of client fetches the two other kinds of server by name.
    const fetch2 = (a: string, b: string) => [
      'busybox',
      '--',
      'sh',
      '-c',
      `timeout 20 wget -qO- http://${a}/ && timeout 20 wget -qO- http://${b}/`,
    ];
    const clients = await Promise.all([
      ns!.berth(
        root,
        ['run', '--rm', '-q', '--backend', 'container', '--network', NET, ...fetch2('srv-m', 'srv-u')],
        VM_MS,
      ),
      ns!.berth(
        root,
        ['run', '--rm', '-q', '--backend', 'microvm', '--network', NET, ...fetch2('srv-c', 'srv-u')],
        VM_MS,
      ),
      ns!.berth(root, ['run', '--rm', '-q', '--backend', 'uml', '--network', NET, ...fetch2('srv-c', 'srv-m')], VM_MS),
      // chroot with a network namespace of its own
      ns!.berth(
        root,
        ['run', '--rm', '-q', '--backend', 'chroot', '--network', NET, ...fetch2('srv-m', 'srv-u')],
        VM_MS,
      ),
    ]);
    assert.deepEqual(
      clients.map((c) => [c.code, c.stdout, c.stderr]),
      [
        [0, 'from-microvm\nfrom-uml\n', ''],
        [0, 'from-container\nfrom-uml\n', ''],
        [0, 'from-container\nfrom-microvm\n', ''],
        [0, 'from-microvm\nfrom-uml\n', ''],
      ],
    );
    // The test's namespace -> the VMs' published ports.
    for (const [port, text] of [
      ['18210', 'from-microvm'],
      ['18211', 'from-uml'],
    ]) {
      const pub = ns!.sh(['timeout', '20', 'busybox', 'wget', '-qO-', `http://127.0.0.1:${port}/`]);
      assert.equal(pub.stdout, `${text}\n`, pub.stderr);
      // The VM's monitor holds the port: a host program cannot take it.
      assertPortHeld(ns!, '127.0.0.1', Number(port), tmpdir());
    }
    const leases = JSON.parse((await ns!.berth(root, ['network', 'inspect', NET])).stdout)[0].leases as Record<
      string,
      { ip: string; names: string[] }
    >;
    const ipOf = (name: string) => Object.values(leases).find((l) => l.names[0] === name)?.ip;
    for (const [name, port] of [
      ['srv-m', '18210'],
      ['srv-u', '18211'],
    ]) {
      const insp = JSON.parse((await ns!.berth(root, ['inspect', name!])).stdout)[0];
      assert.match(ipOf(name!) ?? '', /^10\.126\.0\.[2-4]$/);
      assert.deepEqual(insp.Network, {
        Mode: `bridge (${NET})`,
        Interface: 'eth0',
        IPAddress: ipOf(name!),
        PrefixLength: 24,
        Gateway: '10.126.0.1',
        Ports: [`127.0.0.1:${port}:80/tcp`],
      });
      // The guest configured the leased address on its own NIC, with the network's MTU (uml: at most 1500).
      const addr = await ns!.berth(root, ['exec', name!, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
      assert.match(addr.stdout, new RegExp(`inet ${ipOf(name!)!.replace(/\./g, '\\.')}/24`));
      const link = await ns!.berth(root, ['exec', name!, 'ip', '-o', 'link', 'show', 'eth0']);
      assert.match(link.stdout, name === 'srv-m' ? / mtu 65520 / : / mtu 1500 /);
    }
    // The guest's /etc/hosts follows a peer that joins, then leaves.
    const grepLate = async () =>
      (await ns!.berth(root, ['exec', 'srv-u', 'grep', '-c', 'late', '/etc/hosts'])).stdout.trim();
    const late = await ns!.berth(root, [
      'run',
      '-d',
      '-q',
      '--name',
      'late',
      '--backend',
      'container',
      '--network',
      NET,
      'busybox',
      'sleep',
      '300',
    ]);
    assert.equal(late.code, 0, late.stderr);
    await until('the uml guest learning the name "late"', async () => (await grepLate()) === '1');
    const ping = await ns!.berth(root, ['exec', 'srv-m', 'ping', '-c', '1', '-W', '5', 'late']);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.equal((await ns!.berth(root, ['rm', '-f', 'late'])).code, 0);
    await until('the uml guest forgetting the name "late"', async () => (await grepLate()) === '0');
  });

  it('bad input on a VM: one line, exit 125, no tap, rule or lease left', { timeout: 300_000 }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const before = links(ns!);
    for (const b of ['microvm', 'uml']) {
      oneLine125(
        await ns!.berth(root, ['run', '--rm', '--backend', b, '--network', 'host', 'busybox', 'true']),
        /cannot share the host's network/,
      );
      oneLine125(
        await ns!.berth(
          root,
          ['run', '--rm', '--backend', b, '--network', NET, '-p', '127.0.0.1:18210:80', 'busybox', 'true'],
          VM_MS,
        ),
        /host port 127\.0\.0\.1:18210:80\/tcp is already published by environment srv-m/,
      );
      oneLine125(
        await ns!.berth(root, ['run', '--rm', '--backend', b, '--network', 'nosuch', 'busybox', 'true'], VM_MS),
        /no such network: nosuch/,
      );
    }
    oneLine125(await ns!.berth(root, ['network', 'rm', NET]), /network tvm is in use by/);
    assert.deepEqual(links(ns!), before);
    const lease = JSON.parse((await ns!.berth(root, ['network', 'inspect', NET])).stdout)[0].leases;
    assert.deepEqual(
      Object.values(lease)
        .map((l) => (l as { names: string[] }).names[0])
        .sort(),
      ['srv-c', 'srv-m', 'srv-u'],
    );
  });

  it('a fork of the running microvm server and two clones of it on the network: each its own MAC and lease, they reach each other', {
    timeout: 600_000,
  }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    // srv-m of the first test (made here when this one runs alone): a microvm on NET running httpd.
    if ((await ns!.berth(root, ['inspect', 'srv-m'])).code !== 0) {
      await ns!.berth(root, ['network', 'create', NET, '--subnet', '10.126.0.0/24']);
      const m = await ns!.berth(
        root,
        ['run', '-d', '-q', '--name', 'srv-m', '--backend', 'microvm', '--network', NET, ...serve('from-microvm')],
        VM_MS,
      );
      assert.equal(m.code, 0, m.stderr);
    }
    const leases = async () =>
      Object.keys(JSON.parse((await ns!.berth(root, ['network', 'inspect', NET])).stdout)[0].leases).sort();
    const linksBefore = links(ns!);
    const leasesBefore = await leases();
    // The template is the running server, httpd included (no boot: a live save); srv-m runs on.
    const made = await ns!.berth(root, ['template', 'create', 'bt', '--from', 'srv-m'], VM_MS);
    assert.equal(made.code, 0, made.stderr);
    for (const name of ['clone-a', 'clone-b']) {
      const c = await ns!.berth(
        root,
        ['run', '-d', '-q', '--name', name, '--template', 'bt', '--', 'sleep', '600'],
        VM_MS,
      );
      assert.equal(c.code, 0, c.stderr);
    }
    // What the guest's eth0 has is the clone's own lease and the MAC berth gave its tap, not the server's.
    const own = async (name: string) => {
      const ip = JSON.parse((await ns!.berth(root, ['inspect', name])).stdout)[0].Network.IPAddress as string;
      const eth0 = await ns!.berth(root, ['exec', name, 'ifconfig', 'eth0']);
      assert.equal(eth0.code, 0, eth0.stderr);
      const mac = ['02', 'b7', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
      assert.match(eth0.stdout, new RegExp(`HWaddr ${mac.toUpperCase()}`), `${name}: ${eth0.stdout}`);
      assert.match(eth0.stdout, new RegExp(`inet addr:${ip.replace(/\./g, '\\.')} `), `${name}: ${eth0.stdout}`);
      return ip;
    };
    const addrs = [await own('srv-m'), await own('clone-a'), await own('clone-b')];
    assert.equal(new Set(addrs).size, 3, addrs.join(' '));
    // clone-a serves with the httpd it inherited; clone-b reaches it by address, and the server still serves.
    for (const [from, to] of [
      ['clone-b', addrs[1]],
      ['clone-a', addrs[0]],
    ] as const) {
      const got = await ns!.berth(root, ['exec', from, 'sh', '-c', `timeout 20 wget -qO- http://${to}/`]);
      assert.equal(got.stdout, 'from-microvm\n', `${from} -> ${to}: ${got.stderr}`);
    }
    assert.equal((await ns!.berth(root, ['rm', '-f', 'clone-a', 'clone-b'], VM_MS)).code, 0);
    assert.equal((await ns!.berth(root, ['template', 'rm', 'bt'])).code, 0);
    assert.deepEqual(links(ns!), linksBefore, "the clones' taps are gone");
    assert.deepEqual(await leases(), leasesBefore, "the clones' leases are given back");
  });

  it('rm of a VM frees its tap, its DNAT rule and its address', { timeout: 300_000 }, async (t) => {
    if (!requireThat(t, ready, why)) return;
    const taps = () => links(ns!).filter((l) => l.startsWith('bt'));
    assert.equal(taps().length, 2);
    assert.equal((await ns!.berth(root, ['rm', '-f', 'srv-m', 'srv-u', 'srv-c'], VM_MS)).code, 0);
    assert.deepEqual(taps(), []);
    assert.doesNotMatch(ns!.sh(['nft', 'list', 'table', 'ip', bridgeNameFor(NET)]).stdout, /dport 1821[01]/);
    assert.deepEqual(JSON.parse((await ns!.berth(root, ['network', 'inspect', NET])).stdout)[0].leases, {});
    assert.ok(!ns!.sh(['busybox', 'netstat', '-ltn']).stdout.includes(':18210'));
  });
});

describe('VM bridge networks as the unprivileged user', () => {
  it('a bridge network for a uml or microvm guest needs root: one line, exit 125', async (t) => {
    if (!requireThat(t, isRoot(), 'root (the test creates the unprivileged user)')) return;
    const user = makeRunner('rootless');
    try {
      for (const b of ['uml', 'microvm']) {
        oneLine125(
          await user.run(['run', '--rm', '--backend', b, '--network', 'bridge', 'busybox', 'true']),
          /\(a bridge\) needs root/,
        );
      }
    } finally {
      user.cleanup();
    }
  });
});
