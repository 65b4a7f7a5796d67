import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nftRuleset, nftDeleteTable } from '../../../src/network/nft-ruleset.js';
import {
  bridgeCreateBatch,
  vethCreateBatch,
  guestAddrBatch,
  pastaArgv,
  slirp4netnsArgv,
  slirpHostFwd,
  vethName,
} from '../../../src/network/net-cmdline.js';
import { hostsFile } from '../../../src/network/hosts-file.js';
import { parseNetworkMode } from '../../../src/core/network-mode.js';
import { parsePortSpec } from '../../../src/network/port-spec.js';

test('the ruleset replaces only its own table, NATs out and DNATs published ports', () => {
  const r = nftRuleset({
    table: 'berth0',
    bridge: 'berth0',
    subnet: '10.88.0.0/16',
    published: [
      { guestIp: '10.88.0.2', port: parsePortSpec('127.0.0.1:8080:80') },
      { guestIp: '10.88.0.3', port: parsePortSpec('5353:53/udp') },
    ],
  });
  const lines = r.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['add table ip berth0', 'delete table ip berth0', 'table ip berth0 {']);
  assert.ok(r.includes('ip saddr 10.88.0.0/16 ip daddr != 10.88.0.0/16 masquerade'));
  assert.ok(r.includes('ip saddr 127.0.0.0/8 oifname "berth0" masquerade'));
  assert.equal(lines.filter((l) => l.trim() === 'ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.88.0.2:80').length, 2); // output + prerouting
  assert.equal(lines.filter((l) => l.trim() === 'fib daddr type local udp dport 5353 dnat to 10.88.0.3:53').length, 2);
  assert.ok(!/flush ruleset|table inet filter/.test(r));
  assert.equal(nftDeleteTable('t'), 'add table ip t\ndelete table ip t\n');
});

test('ip batches for the bridge, the veth pair and the guest side', () => {
  assert.equal(
    bridgeCreateBatch('berth0', '10.88.0.1/16', 65520),
    'link add berth0 address 02:b7:0a:58:00:01 mtu 65520 type bridge\naddr add 10.88.0.1/16 dev berth0\nlink set berth0 up\n',
  );
  assert.throws(() => bridgeCreateBatch('berth0', '10.88.0.1/16', 70000), /not between 1280 and 65520/);
  assert.equal(
    vethCreateBatch('bvabc', 'berth0', 42, '02:b7:0a:00:00:02', 1500),
    'link add bvabc mtu 1500 type veth peer name eth0 mtu 1500 address 02:b7:0a:00:00:02 netns 42\nlink set bvabc master berth0\nlink set bvabc up\n',
  );
  assert.equal(
    guestAddrBatch('10.88.0.2/16', '10.88.0.1'),
    'addr add 10.88.0.2/16 dev eth0\nlink set eth0 up\nroute add default via 10.88.0.1\n',
  );
  assert.equal(vethName('0123456789abcdef'), 'bv0123456789a');
  assert.ok(vethName('f'.repeat(64)).length <= 15);
});

test('pasta forwards only the published ports and keeps root as root', () => {
  assert.deepEqual(pastaArgv(7, '/e/p.pid', []), [
    'pasta',
    '--config-net',
    '--quiet',
    '--pid',
    '/e/p.pid',
    '-t',
    'none',
    '-u',
    'none',
    '-T',
    'none',
    '-U',
    'none',
    '7',
  ]);
  assert.deepEqual(pastaArgv(7, '/p', [parsePortSpec('127.0.0.1:8080:80'), parsePortSpec('53:53/udp')], '/e/netns'), [
    'pasta',
    '--config-net',
    '--quiet',
    '--pid',
    '/p',
    '--runas',
    '0',
    '-t',
    '127.0.0.1/8080:80',
    '-u',
    '53:53',
    '-T',
    'none',
    '-U',
    'none',
    '--netns',
    '/e/netns',
  ]);
});

test('slirp4netns argv and its port request', () => {
  assert.deepEqual(slirp4netnsArgv(9, '/e/s.sock', true), [
    'slirp4netns',
    '--configure',
    '--mtu=65520',
    '--disable-host-loopback',
    '--ready-fd=3',
    '--api-socket=/e/s.sock',
    '--userns-path=/proc/9/ns/user',
    '9',
    'tap0',
  ]);
  assert.deepEqual(JSON.parse(slirpHostFwd(parsePortSpec('8080:80'))), {
    execute: 'add_hostfwd',
    arguments: { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 80 },
  });
});

test('hosts file: own address for the hostname, one line per peer', () => {
  assert.equal(
    hostsFile('h1', '10.88.0.2', [
      { ip: '10.88.0.2', names: ['web'] },
      { ip: '10.88.0.3', names: ['db', 'db', 'dbhost'] },
    ]),
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.88.0.2\th1\n10.88.0.2\tweb\n10.88.0.3\tdb dbhost\n',
  );
  assert.ok(hostsFile('h1', undefined, []).includes('127.0.1.1\th1'));
});

test('--network values', () => {
  // Absent: the backend's default, applied by the resolver (test/unit/core/resolved-spec.test.ts).
  assert.deepEqual(parseNetworkMode('none'), { kind: 'none' });
  assert.deepEqual(parseNetworkMode('host'), { kind: 'host' });
  assert.deepEqual(parseNetworkMode('user'), { kind: 'user' });
  assert.deepEqual(parseNetworkMode('bridge'), { kind: 'bridge', network: 'bridge' });
  assert.deepEqual(parseNetworkMode('web'), { kind: 'bridge', network: 'web' });
  assert.throws(() => parseNetworkMode('pasta'), /berth picks pasta or slirp4netns itself/);
  assert.throws(() => parseNetworkMode('bad name'), /invalid network name/);
});

test('the shim is told to wait for the network handshake after the namespace flags', async () => {
  const { shimRunArgv } = await import('../../../src/host/shim-cmdline.js');
  const argv = shimRunArgv({
    shim: '/s',
    stateDir: '/e',
    logFile: '/e/l',
    layers: ['/l'],
    upper: '/u',
    work: '/w',
    rootfs: '/r',
    rootless: false,
    uidMaps: [],
    gidMaps: [],
    hostname: 'h',
    env: {},
    workdir: '/',
    user: { uid: 0, gid: 0, groups: [], home: '/' },
    binds: [],
    tty: false,
    interactive: false,
    detach: true,
    command: ['true'],
    netSyncFd: 3,
    holdPorts: ['tcp:127.0.0.1:18080'],
    isolation: { proc: 'new', sys: 'new-ro', pidNs: true, netNs: true },
  });
  const i = argv.indexOf('--net-sync-fd');
  assert.deepEqual(argv.slice(i - 2, i + 4), [
    '--pid-ns',
    '--net-ns',
    '--net-sync-fd',
    '3',
    '--hold-port',
    'tcp:127.0.0.1:18080',
  ]);
});
