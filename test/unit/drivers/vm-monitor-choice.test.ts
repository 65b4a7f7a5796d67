import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseVmMonitor,
  nativeMonitorGaps,
  parseVmMonitorSetting,
} from '../../../src/drivers/vm/vm-monitor-choice.js';
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

test('the native monitor takes the default uml and microvm configurations', () => {
  const uml = umlDefault();
  assert.deepEqual(nativeMonitorGaps(uml), []);
  assert.deepEqual(chooseVmMonitor(uml, 'auto', '/n/berth-vmmon'), { kind: 'native' });
  const microvm: VmMonitorConfig = {
    ...uml,
    launch: { argv: ['qemu-system-x86_64'], ctl: { kind: 'unix', path: '/r/ctl.sock', flow: 'stream' }, what: 'q' },
    identity: { hostname: 'clone1' },
  };
  assert.deepEqual(chooseVmMonitor(microvm, 'auto', '/n/berth-vmmon'), { kind: 'native' });
});

test('what the native monitor does not do falls back to the Node monitor, saying why', () => {
  const relayed = { ...umlDefault(), relayedPorts: [{ hostAddr: '127.0.0.1', hostPort: 8080, guestPort: 80 }] };
  assert.equal(chooseVmMonitor(relayed, 'auto', '/n/berth-vmmon').kind, 'node');
  assert.match(chooseVmMonitor(relayed, 'auto', '/n/berth-vmmon').reason ?? '', /published ports/);
  const bridged = { ...umlDefault(), hostsFile: '/s/hosts' };
  assert.match(chooseVmMonitor(bridged, 'auto', '/n/berth-vmmon').reason ?? '', /peer names/);
  const shares = umlDefault();
  shares.launch.helpers = [{ argv: ['virtiofsd'], socket: '/r/v.sock', what: 'the virtiofsd of -v /src' }];
  assert.match(chooseVmMonitor(shares, 'auto', '/n/berth-vmmon').reason ?? '', /virtiofsd/);
  assert.deepEqual(chooseVmMonitor(umlDefault(), 'auto', undefined), {
    kind: 'node',
    reason: 'berth-vmmon is not built',
  });
  assert.equal(chooseVmMonitor(umlDefault(), 'node', '/n/berth-vmmon').kind, 'node');
  // Forced native: refused in one line rather than silently doing less.
  assert.throws(() => chooseVmMonitor(relayed, 'native', '/n/berth-vmmon'), /does not support published ports/);
  assert.throws(() => chooseVmMonitor(umlDefault(), 'native', undefined), /berth-vmmon is not built/);
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
  assert.deepEqual(all('identity_hostname'), []);
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
});
