import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseVmMonitor, parseVmMonitorSetting } from '../../../src/drivers/vm/vm-monitor-choice.js';
import { decodeStart } from '../../../src/drivers/vm/guest-protocol.js';
import { encodeMonitorFlat } from '../../../src/drivers/vm/vm-monitor-flat.js';
import type { VmMonitorConfig } from '../../../src/drivers/vm/vm-monitor-config.js';
import { isBerthError } from '../../../src/core/errors.js';

/** A default uml environment's config: no bridge, no relayed port, no helper. */
function umlDefault(): VmMonitorConfig {
  return {
    launch: {
      argv: ['/k/linux', 'mem=256M', 'ssl0=fd:3,fd:3'],
      ctl: { kind: 'fd', fd: 3 },
      consoleFd: 4,
      what: 'the uml kernel',
      user: { uid: 1879048193, gid: 1879048193 },
      cwd: '/run/vm/abc',
      env: { TMPDIR: '/run/vm/abc' },
    },
    stateDir: '/s',
    logFile: '/s/ctr.log',
    consoleLog: '/s/console.log',
    logMaxBytes: 10485760,
    logMaxFiles: 3,
    socketPath: '/run/vm/abc/monitor.sock',
    main: {
      argv: ['sh', '-c', 'echo a b'],
      env: ['PATH=/bin'],
      cwd: '/',
      mkcwd: true,
      uid: 0,
      gid: 0,
      groups: [],
      tty: false,
      stdin: true,
    },
    attached: true,
    owner: { pid: 42, start: 7 },
    exitHook: ['/usr/bin/node', '/x/berth.cjs', '__reap', 'ID'],
    bootTimeoutMs: 120000,
    bulkDir: '/run/vm/abc/bulk',
  };
}

test('berth-vmmon monitors every VM environment; the Node monitor only when asked for or not built', () => {
  assert.deepEqual(chooseVmMonitor('auto', '/n/berth-vmmon'), { kind: 'native' });
  assert.deepEqual(chooseVmMonitor('native', '/n/berth-vmmon'), { kind: 'native' });
  assert.deepEqual(chooseVmMonitor('node', '/n/berth-vmmon'), { kind: 'node', reason: 'BERTH_VM_MONITOR=node' });
  assert.deepEqual(chooseVmMonitor('auto', undefined), { kind: 'node', reason: 'berth-vmmon is not built' });
  // Forced native: refused in one line rather than silently falling back.
  assert.throws(() => chooseVmMonitor('native', undefined), /berth-vmmon is not built/);
});

test('BERTH_VM_MONITOR: auto (also unset), node or native; anything else is exit 125 naming the fix', () => {
  assert.equal(parseVmMonitorSetting({}), 'auto');
  assert.equal(parseVmMonitorSetting({ BERTH_VM_MONITOR: '' }), 'auto');
  assert.equal(parseVmMonitorSetting({ BERTH_VM_MONITOR: 'node' }), 'node');
  assert.equal(parseVmMonitorSetting({ BERTH_VM_MONITOR: 'native' }), 'native');
  try {
    parseVmMonitorSetting({ BERTH_VM_MONITOR: 'c' });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(isBerthError(e));
    assert.equal(e.exitCode, 125);
    assert.match(e.message, /BERTH_VM_MONITOR="c" is not auto, node or native/);
  }
});

/** The pairs as native/vmmon/config.c reads them. */
function pairs(b: Buffer): [string, string][] {
  const parts = b.toString('utf8').split('\0');
  assert.equal(parts.pop(), '', 'ends in NUL');
  assert.equal(parts.length % 2, 0);
  const out: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

test('monitor.cfg: NUL-separated pairs, repeated keys in order, START as hex', () => {
  const cfg = umlDefault();
  const p = pairs(encodeMonitorFlat(cfg));
  const all = (k: string) => p.filter(([key]) => key === k).map(([, v]) => v);
  assert.deepEqual(all('arg'), cfg.launch.argv);
  assert.deepEqual(all('exit_hook'), cfg.exitHook);
  assert.deepEqual(all('env'), ['TMPDIR=/run/vm/abc']);
  assert.deepEqual(all('ctl_fd'), ['3']);
  assert.deepEqual(all('ctl_flow'), ['acked']);
  assert.deepEqual(all('console_fd'), ['4']);
  assert.deepEqual([all('uid'), all('gid'), all('cwd')], [['1879048193'], ['1879048193'], ['/run/vm/abc']]);
  assert.deepEqual([all('owner_pid'), all('owner_start'), all('attached')], [['42'], ['7'], ['1']]);
  assert.deepEqual(all('bulk_dir'), ['/run/vm/abc/bulk']);
  assert.deepEqual(all('bulk_disk'), []);
  const disk = pairs(encodeMonitorFlat({ ...cfg, bulkDir: undefined, bulkDisk: '/run/vm/abc/bulk.disk' }));
  assert.deepEqual(
    disk.filter(([k]) => k.startsWith('bulk_')),
    [['bulk_disk', '/run/vm/abc/bulk.disk']],
  );
  assert.deepEqual(all('identity_hostname'), []);
  assert.deepEqual(all('hold_port'), []);
  const held = pairs(encodeMonitorFlat({ ...cfg, holdPorts: ['tcp:127.0.0.1:18080', 'udp:0.0.0.0:53'] }));
  assert.deepEqual(
    held.filter(([k]) => k === 'hold_port').map(([, v]) => v),
    ['tcp:127.0.0.1:18080', 'udp:0.0.0.0:53'],
  );
  assert.deepEqual(decodeStart(Buffer.from(all('start')[0]!, 'hex')), cfg.main);
  const unix = pairs(
    encodeMonitorFlat({
      ...cfg,
      launch: { argv: ['q'], ctl: { kind: 'unix', path: '/r/c.sock', flow: 'stream' }, what: 'q' },
      identity: { hostname: 'h' },
      holdAfterExit: true,
    }),
  );
  assert.deepEqual(
    unix.filter(([k]) => ['ctl_path', 'ctl_flow', 'identity_hostname', 'hold_after_exit', 'ctl_fd'].includes(k)),
    [
      ['ctl_path', '/r/c.sock'],
      ['ctl_flow', 'stream'],
      ['hold_after_exit', '1'],
      ['identity_hostname', 'h'],
    ],
  );
  assert.throws(() => encodeMonitorFlat({ ...cfg, logFile: 'a\0b' }), /log_file contains a NUL byte/);
  // A clone on a bridge network: its lease and MAC, checked before the monitor starts.
  const net = { lease: '10.87.0.5/16,10.87.0.1,10.87.0.1,1500', mac: '02:42:0a:57:00:05' };
  const clone = pairs(encodeMonitorFlat({ ...cfg, identity: { hostname: 'c1', net } }));
  assert.deepEqual(
    clone.filter(([k]) => k.startsWith('identity_')),
    [
      ['identity_hostname', 'c1'],
      ['identity_net', net.lease],
      ['identity_mac', net.mac],
    ],
  );
  assert.throws(
    () => encodeMonitorFlat({ ...cfg, identity: { hostname: 'c1', net: { ...net, mac: 'nope' } } }),
    /bad MAC "nope"/,
  );
});

test('monitor.cfg: helpers, relayed ports and the hosts copy, each START as hex', () => {
  const cfg = umlDefault();
  cfg.launch.helpers = [
    { argv: ['virtiofsd', '--socket-path', '/r/a.sock'], socket: '/r/a.sock', what: 'the virtiofsd of -v /a' },
    { argv: ['virtiofsd', '--socket-path', '/r/b.sock'], socket: '/r/b.sock', what: 'the virtiofsd of -v /b' },
  ];
  cfg.launch.helpersNeedle = '/s/shares/';
  const p = pairs(
    encodeMonitorFlat({
      ...cfg,
      relayedPorts: [{ hostAddr: '::', hostPort: 8080, guestPort: 80 }],
      hostsFile: '/s/hosts',
    }),
  );
  const helperPairs = p.filter(([k]) => k.startsWith('helper'));
  assert.deepEqual(helperPairs.slice(0, 5), [
    ['helper', 'the virtiofsd of -v /a'],
    ['helper_socket', '/r/a.sock'],
    ['helper_arg', 'virtiofsd'],
    ['helper_arg', '--socket-path'],
    ['helper_arg', '/r/a.sock'],
  ]);
  assert.deepEqual(helperPairs[5], ['helper', 'the virtiofsd of -v /b']);
  assert.deepEqual(helperPairs.at(-1), ['helpers_needle', '/s/shares/']);
  const [relay] = p.filter(([k]) => k === 'relay').map(([, v]) => v.split(' '));
  assert.deepEqual(relay!.slice(0, 2), ['8080', '::']);
  assert.deepEqual(decodeStart(Buffer.from(relay![2]!, 'hex')).argv, ['/proc/1/exe', 'berth-connect', '80']);
  const hosts = p.find(([k]) => k === 'hosts_start')![1];
  assert.deepEqual(decodeStart(Buffer.from(hosts, 'hex')).argv, ['/proc/1/exe', 'berth-hosts']);
  assert.deepEqual(
    p.find(([k]) => k === 'hosts_file'),
    ['hosts_file', '/s/hosts'],
  );
});
