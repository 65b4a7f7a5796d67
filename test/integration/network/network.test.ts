/**
 * Networks for real, inside a network namespace this test makes (berth runs in it, so bridges,
 * veths and nftables tables exist only there; nothing reaches a non-loopback address outside).
 * Root: two environments on one named network (busybox httpd, wget by name; container and
 * chroot), a published port reached over 127.0.0.1, --network none without a route, bad input
 * with nothing left behind. Rootless: --network user gets an interface and an address.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';
import { makeNetns, links, nftTables, type TestNetns } from '../../helpers/netns.js';
import { findExecutable } from '../../../src/host/probes/exec.js';
import { bridgeNameFor } from '../../../src/network/network-store.js';
import { assertPortHeld } from '../../helpers/held-port.js';

const TOOLS = ['ip', 'nft', 'nsenter', 'pasta', 'busybox'];
const missingTools = TOOLS.filter((t) => !findExecutable(t));
const ready = isRoot() && missingTools.length === 0;
const why = !isRoot() ? 'root (the test makes a network namespace)' : `tools: ${missingTools.join(', ')}`;

let ns: TestNetns | undefined;
let www = '';

before(() => {
  if (!ready) return;
  ns = makeNetns();
  www = mkdtempSync(join(tmpdir(), 'berth-net-www-'));
  chmodSync(www, 0o755);
  writeFileSync(join(www, 'index.html'), 'served by berth\n');
  chmodSync(join(www, 'index.html'), 0o644);
});

after(() => {
  ns?.remove();
  if (www) rmSync(www, { recursive: true, force: true });
});

describe('networks as root, in a test-made network namespace', () => {
  let root: Runner;
  const net = 'tweb';
  before(() => {
    if (!ready) return;
    root = makeRunner('root');
  });
  after(async () => {
    if (!ready) return;
    // Cleanup through berth itself, inside the namespace (its rules live there).
    const ps = await ns!.berth(root, ['ps', '-a', '-q']);
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await ns!.berth(root, ['rm', '-f', ...ids]);
    await ns!.berth(root, ['network', 'rm', net]);
    root.cleanup();
  });

  it('two environments on one network reach each other by name; a published port answers on 127.0.0.1', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const created = await ns!.berth(root, ['network', 'create', net, '--subnet', '10.123.0.0/24']);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(links(ns!).includes(bridgeNameFor(net)));
    const srv = await ns!.berth(root, [
      'run',
      '-d',
      '-q',
      '--name',
      'srv',
      '--backend',
      'container',
      '--network',
      net,
      '-p',
      '127.0.0.1:18080:80',
      '-v',
      `${www}:/www:ro`,
      'busybox',
      '--',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    assert.equal(srv.code, 0, srv.stderr);
    // container -> container, by name
    const get = await ns!.berth(root, [
      'run',
      '--rm',
      '-q',
      '--backend',
      'container',
      '--network',
      net,
      'busybox',
      '--',
      'sh',
      '-c',
      'wget -qO- http://srv/ && ip -o link show eth0',
    ]);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^served by berth\n.* mtu 65520 /);
    // chroot (with a network namespace of its own) -> container, by name
    const viaChroot = await ns!.berth(root, [
      'run',
      '--rm',
      '-q',
      '--backend',
      'chroot',
      '--network',
      net,
      'busybox',
      '--',
      'wget',
      '-qO-',
      'http://srv/',
    ]);
    assert.equal(viaChroot.code, 0, viaChroot.stderr);
    assert.equal(viaChroot.stdout, 'served by berth\n');
    // the test's namespace -> published port
    const pub = ns!.sh(['busybox', 'wget', '-qO-', 'http://127.0.0.1:18080/']);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(pub.stdout, 'served by berth\n');
    // The monitor holds the published port: a host program cannot take it (Docker and Podman hold theirs).
    assertPortHeld(ns!, '127.0.0.1', 18080, www);
    // restart gives the lease back and takes it again: the port is published and held as before.
    const restarted = await ns!.berth(root, ['restart', '-t', '0', 'srv']);
    assert.equal(restarted.code, 0, restarted.stderr);
    let again = ns!.sh(['busybox', 'wget', '-qO-', 'http://127.0.0.1:18080/']);
    for (let i = 0; i < 50 && again.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = ns!.sh(['busybox', 'wget', '-qO-', 'http://127.0.0.1:18080/']);
    }
    assert.equal(again.stdout, 'served by berth\n', `after restart: ${again.stderr}`);
    assertPortHeld(ns!, '127.0.0.1', 18080, www);
    // Concurrent starts on one network (alive together): the lease lock gives each its own address.
    const many = await Promise.all(
      [1, 2, 3].map((i) =>
        ns!.berth(root, [
          'run',
          '-d',
          '-q',
          '--name',
          `c${i}`,
          '--backend',
          'container',
          '--network',
          net,
          'busybox',
          'sleep',
          '60',
        ]),
      ),
    );
    for (const m of many) assert.equal(m.code, 0, m.stderr);
    const ips = [];
    for (const i of [1, 2, 3])
      ips.push(JSON.parse((await ns!.berth(root, ['inspect', `c${i}`])).stdout)[0].Network.IPAddress as string);
    assert.deepEqual([...ips].sort(), ['10.123.0.3', '10.123.0.4', '10.123.0.5']);
    assert.equal((await ns!.berth(root, ['rm', '-f', 'c1', 'c2', 'c3'])).code, 0);
    const insp = JSON.parse((await ns!.berth(root, ['inspect', 'srv'])).stdout)[0];
    assert.deepEqual(insp.Network, {
      Mode: `bridge (${net})`,
      Interface: 'eth0',
      IPAddress: '10.123.0.2',
      PrefixLength: 24,
      Gateway: '10.123.0.1',
      Ports: ['127.0.0.1:18080:80/tcp'],
    });
    const netInsp = JSON.parse((await ns!.berth(root, ['network', 'inspect', net])).stdout)[0];
    assert.deepEqual(
      Object.values(netInsp.leases).map((l) => (l as { names: string[] }).names[0]),
      ['srv'],
    );
  });

  it('--network none: only lo, no route, no connection out', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const r = await ns!.berth(root, [
      'run',
      '--rm',
      '-q',
      '--backend',
      'container',
      '--network',
      'none',
      'busybox',
      '--',
      'sh',
      '-c',
      'ip -o link | cut -d: -f2; echo "routes:$(ip route)"; wget -T 2 -qO- http://10.123.0.2/ && echo CONNECTED || echo refused',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ' lo\nroutes:\nrefused\n');
  });

  it('bad input: one line, exit 125, nothing left behind', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const before = { links: links(ns!), tables: nftTables(ns!) };
    oneLine125(
      await ns!.berth(root, ['network', 'create', 'other', '--subnet', '10.123.0.128/25']),
      /subnet 10\.123\.0\.128\/25 overlaps network tweb/,
    );
    oneLine125(
      await ns!.berth(root, ['network', 'create', 'lan', '--subnet', '10.200.0.0/16']),
      /overlaps host interface up0/,
    );
    oneLine125(await ns!.berth(root, ['network', 'create', net, '--subnet', '10.124.0.0/24']), /already exists/);
    oneLine125(await ns!.berth(root, ['network', 'create', 'x', '--subnet', '10.124.0.1/24']), /host bits set/);
    oneLine125(
      await ns!.berth(root, ['network', 'create', 'x', '--subnet', '10.124.0.0/24', '--mtu', '70000']),
      /--mtu: MTU 70000 is not between 1280 and 65520/,
    );
    oneLine125(await ns!.berth(root, ['network', 'rm', net]), /network tweb is in use by srv/);
    oneLine125(
      await ns!.berth(root, ['run', '--rm', '--network', net, '-p', '80:', 'busybox', 'true']),
      /invalid -p "80:"/,
    );
    oneLine125(
      await ns!.berth(root, ['run', '--rm', '--network', net, '-p', '8080:80/sctp', 'busybox', 'true']),
      /protocol "sctp"/,
    );
    oneLine125(
      await ns!.berth(root, [
        'run',
        '--rm',
        '--backend',
        'container',
        '--network',
        net,
        '-p',
        '18080:80',
        'busybox',
        'true',
      ]),
      /host port 18080:80\/tcp is already published by environment srv/,
    );
    oneLine125(
      await ns!.berth(root, ['run', '--rm', '--backend', 'container', '--network', 'nosuch', 'busybox', 'true']),
      /no such network: nosuch/,
    );
    oneLine125(
      await ns!.berth(root, [
        'run',
        '--rm',
        '--backend',
        'container',
        '--network',
        'none',
        '-p',
        '18081:80',
        'busybox',
        'true',
      ]),
      /-p needs a network of the environment's own/,
    );
    // A host process holds the port: refused before anything starts.
    const holder = ns!.spawnIn(['busybox', 'httpd', '-f', '-p', '127.0.0.1:18090', '-h', www]);
    try {
      for (let i = 0; i < 100 && !ns!.sh(['busybox', 'netstat', '-ltn']).stdout.includes('127.0.0.1:18090'); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(ns!.sh(['busybox', 'netstat', '-ltn']).stdout, /127\.0\.0\.1:18090/);
      oneLine125(
        await ns!.berth(root, [
          'run',
          '--rm',
          '--backend',
          'container',
          '--network',
          net,
          '-p',
          '127.0.0.1:18090:80',
          'busybox',
          'true',
        ]),
        /host port 127\.0\.0\.1:18090:80\/tcp is already in use/,
      );
    } finally {
      holder.kill('SIGKILL');
    }
    assert.deepEqual({ links: links(ns!), tables: nftTables(ns!) }, before);
    const ps = await ns!.berth(root, ['ps', '-a', '--format', 'json']);
    assert.deepEqual(
      JSON.parse(ps.stdout).map((e: { name: string }) => e.name),
      ['srv'],
    );
    const lease = JSON.parse((await ns!.berth(root, ['network', 'inspect', net])).stdout)[0].leases;
    assert.equal(Object.keys(lease).length, 1);
  });

  for (const tool of ['pasta', 'slirp4netns']) {
    it(`--network user as root through ${tool}: an interface, an address, a published port; rm stops the helper`, async (t) => {
      if (!requireThat(t, ready, why)) return;
      const port = tool === 'pasta' ? '18086' : '18087';
      const env = { BERTH_USER_NET: tool };
      const r = await ns!.berth(
        root,
        [
          'run',
          '-d',
          '-q',
          '--name',
          `u-${tool}`,
          '--backend',
          'container',
          '--network',
          'user',
          '-p',
          `127.0.0.1:${port}:80`,
          '-v',
          `${www}:/www:ro`,
          'busybox',
          '--',
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/www',
        ],
        60_000,
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const insp = JSON.parse((await ns!.berth(root, ['inspect', `u-${tool}`])).stdout)[0].Network;
      assert.equal(insp.Via, tool);
      assert.equal(insp.IPAddress, tool === 'pasta' ? '10.200.0.2' : '10.0.2.100');
      const pub = ns!.sh(['busybox', 'wget', '-qO-', `http://127.0.0.1:${port}/`]);
      assert.equal(pub.stdout, 'served by berth\n', pub.stderr);
      assert.equal((await ns!.berth(root, ['rm', '-f', `u-${tool}`])).code, 0);
      assert.ok(!ns!.sh(['busybox', 'netstat', '-ltn']).stdout.includes(`127.0.0.1:${port}`));
    });
  }

  it('plumbing that fails midway (the bridge replaced by another device): one line, exit 125, no environment, lease or veth left', async (t) => {
    if (!requireThat(t, ready, why)) return;
    assert.equal((await ns!.berth(root, ['network', 'create', 'tbroken', '--subnet', '10.124.0.0/24'])).code, 0);
    const br = bridgeNameFor('tbroken');
    ns!.sh(['ip', 'link', 'del', br]);
    ns!.sh(['ip', 'link', 'add', br, 'type', 'veth', 'peer', 'name', 'notbr']);
    const before = links(ns!);
    for (const detach of [[], ['-d']]) {
      oneLine125(
        await ns!.berth(root, [
          'run',
          '--rm',
          ...detach,
          '--backend',
          'container',
          '--network',
          'tbroken',
          '-p',
          '127.0.0.1:18095:80',
          'busybox',
          'true',
        ]),
        /creating veth bv\w+ failed/,
      );
    }
    assert.deepEqual(links(ns!), before);
    assert.deepEqual(JSON.parse((await ns!.berth(root, ['network', 'inspect', 'tbroken'])).stdout)[0].leases, {});
    const ps = await ns!.berth(root, ['ps', '-a', '--format', 'json']);
    assert.deepEqual(
      JSON.parse(ps.stdout).map((e: { name: string }) => e.name),
      ['srv'],
    );
    ns!.sh(['ip', 'link', 'del', br]);
    assert.equal((await ns!.berth(root, ['network', 'rm', 'tbroken'])).code, 0);
  });

  it('rm releases the address, the port and the veth; network rm removes bridge and table', async (t) => {
    if (!requireThat(t, ready, why)) return;
    assert.equal((await ns!.berth(root, ['rm', '-f', 'srv'])).code, 0);
    assert.deepEqual(
      links(ns!).filter((l) => l.startsWith('bv')),
      [],
    );
    const again = await ns!.berth(root, [
      'run',
      '-d',
      '-q',
      '--name',
      'srv2',
      '--backend',
      'container',
      '--network',
      net,
      '-p',
      '127.0.0.1:18080:80',
      'busybox',
      'sleep',
      '60',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const insp = JSON.parse((await ns!.berth(root, ['inspect', 'srv2'])).stdout)[0];
    assert.equal(insp.Network.IPAddress, '10.123.0.2');
    assert.equal((await ns!.berth(root, ['stop', '-t', '1', 'srv2'])).code, 0);
    assert.equal((await ns!.berth(root, ['rm', 'srv2'])).code, 0);
    // A crash: monitor and command killed outright; rm -f still frees the lease and the DNAT rule.
    const crash = await ns!.berth(root, [
      'run',
      '-d',
      '-q',
      '--name',
      'srv3',
      '--backend',
      'container',
      '--network',
      net,
      '-p',
      '127.0.0.1:18080:80',
      'busybox',
      'sleep',
      '60',
    ]);
    assert.equal(crash.code, 0, crash.stderr);
    const st = JSON.parse((await ns!.berth(root, ['inspect', 'srv3'])).stdout)[0].State;
    process.kill(st.monitorPid, 'SIGKILL');
    process.kill(st.pid, 'SIGKILL');
    assert.match(
      ns!.sh(['nft', 'list', 'table', 'ip', bridgeNameFor(net)]).stdout,
      /dport 18080 dnat to 10\.123\.0\.2:80/,
    );
    assert.equal((await ns!.berth(root, ['rm', '-f', 'srv3'])).code, 0);
    assert.doesNotMatch(ns!.sh(['nft', 'list', 'table', 'ip', bridgeNameFor(net)]).stdout, /dport 18080/);
    assert.deepEqual(JSON.parse((await ns!.berth(root, ['network', 'inspect', net])).stdout)[0].leases, {});
    const rm = await ns!.berth(root, ['network', 'rm', net]);
    assert.equal(rm.code, 0, rm.stderr);
    const br = bridgeNameFor(net);
    assert.ok(!links(ns!).includes(br));
    assert.ok(!nftTables(ns!).includes(`table ip ${br}`));
    assert.deepEqual(
      links(ns!).filter((l) => l.startsWith('bv')),
      [],
    );
  });
});

describe('the default bridge network of two state directories (ADR 0041)', () => {
  it('each store has its own bridge, table and subnet; network rm bridge in one leaves the other working', async (t) => {
    if (!requireThat(t, ready, why)) return;
    const a = makeRunner('root');
    const b = makeRunner('root');
    const bridgeOf = async (r: Runner) =>
      JSON.parse((await ns!.berth(r, ['network', 'inspect', 'bridge'])).stdout)[0] as {
        bridge: string;
        subnet: string;
        table?: string;
      };
    try {
      for (const [r, name] of [
        [a, 'ba'],
        [b, 'bb'],
      ] as const) {
        const d = await ns!.berth(r, [
          'run',
          '-d',
          '-q',
          '--name',
          name,
          '--backend',
          'container',
          '--network',
          'bridge',
          'busybox',
          'sleep',
          '600',
        ]);
        assert.equal(d.code, 0, d.stderr);
      }
      const na = await bridgeOf(a);
      const nb = await bridgeOf(b);
      assert.notEqual(na.bridge, nb.bridge, 'one bridge per state directory');
      assert.notEqual(na.subnet, nb.subnet);
      assert.ok(links(ns!).includes(na.bridge) && links(ns!).includes(nb.bridge));
      assert.equal((await ns!.berth(b, ['rm', '-f', 'bb'])).code, 0);
      const rm = await ns!.berth(b, ['network', 'rm', 'bridge']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.ok(links(ns!).includes(na.bridge), "the other store's bridge stays");
      assert.ok(nftTables(ns!).includes(`table ip ${na.table ?? na.bridge}`));
      const ex = await ns!.berth(a, ['exec', 'ba', 'sh', '-c', 'ip -4 addr show eth0 | grep -c inet']);
      assert.equal(ex.stdout, '1\n', ex.stderr);
    } finally {
      for (const r of [a, b]) {
        const ps = await ns!.berth(r, ['ps', '-a', '-q']);
        const ids = ps.stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await ns!.berth(r, ['rm', '-f', ...ids]);
        await ns!.berth(r, ['network', 'rm', 'bridge']);
        r.cleanup();
      }
    }
  });
});

describe('--network user as the unprivileged user, in a test-made network namespace', () => {
  let user: Runner;
  let tun = false;
  before(() => {
    if (!ready) return;
    user = makeRunner('rootless');
    try {
      tun = (statSync('/dev/net/tun').mode & 0o006) === 0o006; // the test user must open it too
    } catch {
      tun = false;
    }
  });
  after(async () => {
    if (!ready) return;
    const ps = await ns!.berth(user, ['ps', '-a', '-q']);
    const ids = ps.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await ns!.berth(user, ['rm', '-f', ...ids]);
    user.cleanup();
  });

  it('gets an interface and an address through pasta; a published port answers; rm stops pasta', async (t) => {
    if (!requireThat(t, ready, why)) return;
    if (!requireThat(t, tun, '/dev/net/tun usable by normal users (mode 0666, scripts/host-packages.sh sets it)'))
      return;
    const r = await ns!.berth(user, [
      'run',
      '-d',
      '-q',
      '--name',
      'u1',
      '--backend',
      'container',
      '--network',
      'user',
      '-p',
      '127.0.0.1:18085:80',
      '-v',
      `${www}:/www:ro`,
      'busybox',
      '--',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const addr = await ns!.berth(user, ['exec', 'u1', 'ip', '-o', '-4', 'addr']);
    assert.match(addr.stdout, /up0\s+inet 10\.200\.0\.2\/24/);
    const insp = JSON.parse((await ns!.berth(user, ['inspect', 'u1'])).stdout)[0];
    assert.equal(insp.Network.Mode, 'user');
    assert.equal(insp.Network.Via, 'pasta');
    assert.equal(insp.Network.IPAddress, '10.200.0.2');
    assert.equal(insp.Network.Interface, 'up0');
    const pub = ns!.sh(['busybox', 'wget', '-qO-', 'http://127.0.0.1:18085/']);
    assert.equal(pub.stdout, 'served by berth\n', pub.stderr);
    assert.equal((await ns!.berth(user, ['rm', '-f', 'u1'])).code, 0);
    // An environment that exits on its own frees its published port for the next one.
    const first = await ns!.berth(user, [
      'run',
      '-q',
      '--name',
      'u2',
      '--backend',
      'container',
      '--network',
      'user',
      '-p',
      '127.0.0.1:18085:80',
      'busybox',
      'true',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const second = await ns!.berth(user, [
      'run',
      '--rm',
      '-q',
      '--backend',
      'container',
      '--network',
      'user',
      '-p',
      '127.0.0.1:18085:80',
      'busybox',
      'true',
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((await ns!.berth(user, ['rm', 'u2'])).code, 0);
    const helper = ns!.sh(['busybox', 'netstat', '-ltn']).stdout;
    assert.ok(!helper.includes('127.0.0.1:18085'), helper);
  });

  it('a bridge network needs root: one line, exit 125', async (t) => {
    if (!requireThat(t, ready, why)) return;
    oneLine125(
      await ns!.berth(user, ['run', '--rm', '--backend', 'container', '--network', 'bridge', 'busybox', 'true']),
      /needs root/,
    );
    oneLine125(await ns!.berth(user, ['network', 'create', 'mine']), /needs root/);
  });
});
