import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chrootRunArgv, chrootExecArgv, rmtreeArgv } from '../../../src/drivers/chroot/chroot-cmdline.js';

const base = {
  shim: '/s',
  stateDir: '/e',
  logFile: '/e/ctr.log',
  layers: ['/img/top', '/img/base'],
  upper: '/e/upper',
  work: '/e/work',
  rootfs: '/e/rootfs',
  hostname: 'h1',
  env: { PATH: '/bin', A: 'b c' },
  workdir: '/w',
  user: { uid: 5, gid: 6, groups: [7, 8], home: '/' },
  binds: [{ source: '/host', target: '/in', readOnly: true }],
  tty: false,
  interactive: false,
  detach: false,
  command: ['sh', '-c', 'x'],
};

test('rootful run argv', () => {
  assert.deepEqual(chrootRunArgv({ ...base, rootless: false, uidMaps: [], gidMaps: [] }), [
    '/s',
    'run',
    '--state-dir',
    '/e',
    '--log',
    '/e/ctr.log',
    '--lower',
    '/img/top',
    '--lower',
    '/img/base',
    '--upper',
    '/e/upper',
    '--work',
    '/e/work',
    '--rootfs',
    '/e/rootfs',
    '--hostname',
    'h1',
    '--proc',
    'bind',
    '--sys',
    'bind-ro',
    '--bind',
    '/host:/in:ro',
    '--env',
    'PATH=/bin',
    '--env',
    'A=b c',
    '--cwd',
    '/w',
    '--user',
    '5:6:7,8',
    '--',
    'sh',
    '-c',
    'x',
  ]);
});

test('rootless run argv maps ids and asks for userxattr overlay; -d -t -i', () => {
  const argv = chrootRunArgv({
    ...base,
    rootless: true,
    detach: true,
    tty: true,
    interactive: true,
    uidMaps: [
      { inside: 0, outside: 1000, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
    ],
    gidMaps: [{ inside: 0, outside: 1000, count: 1 }],
  });
  assert.deepEqual(argv.slice(0, 16), [
    '/s',
    'run',
    '--state-dir',
    '/e',
    '--log',
    '/e/ctr.log',
    '--detach',
    '--tty',
    '--interactive',
    '--userns',
    '--uid-map',
    '0 1000 1',
    '--uid-map',
    '1 100000 65536',
    '--gid-map',
    '0 1000 1',
  ]);
  assert.ok(argv.includes('--overlay-userxattr'));
});

test('exec and rmtree argv', () => {
  assert.deepEqual(
    chrootExecArgv({
      shim: '/s',
      pid: 42,
      rootless: true,
      env: { X: '1' },
      workdir: '/',
      user: { uid: 0, gid: 0, groups: [], home: '/root' },
      tty: false,
      interactive: true,
      command: ['ls'],
    }),
    [
      '/s',
      'exec',
      '--pid',
      '42',
      '--userns',
      '--interactive',
      '--env',
      'X=1',
      '--cwd',
      '/',
      '--user',
      '0:0',
      '--',
      'ls',
    ],
  );
  assert.deepEqual(rmtreeArgv('/s', '/e', false, [], []), ['/s', 'rmtree', '/e']);
});

test('log cap and rotation are passed to the shim together', async () => {
  const { shimRunArgv } = await import('../../../src/host/shim-cmdline.js');
  const argv = shimRunArgv({
    ...base,
    rootless: false,
    uidMaps: [],
    gidMaps: [],
    isolation: { proc: 'new', sys: 'new-ro', pidNs: true, caps: ['KILL'], seccomp: 'default', cgroups: ['/cg/a'] },
    logMaxBytes: 1024,
    logMaxFiles: 3,
  });
  const at = argv.indexOf('--log-max-size');
  assert.deepEqual(argv.slice(at, at + 4), ['--log-max-size', '1024', '--log-max-files', '3']);
  assert.ok(argv.includes('--pid-ns'));
  const tail = argv.slice(argv.indexOf('--user') + 2, argv.indexOf('--'));
  assert.deepEqual(tail, ['--cgroup', '/cg/a', '--caps', 'KILL', '--seccomp', 'default']);
});

test('unshare argv carries the maps and the command', async () => {
  const { unshareArgv } = await import('../../../src/host/shim-cmdline.js');
  assert.deepEqual(
    unshareArgv(
      '/s',
      [{ inside: 0, outside: 1000, count: 1 }],
      [{ inside: 0, outside: 1000, count: 1 }],
      ['mke2fs', '-d', 'x'],
    ),
    ['/s', 'unshare', '--uid-map', '0 1000 1', '--gid-map', '0 1000 1', '--', 'mke2fs', '-d', 'x'],
  );
});

test('a terminal sized from outside: --winsize-file for a detached run and for an exec', async () => {
  const { shimRunArgv, shimExecArgv } = await import('../../../src/host/shim-cmdline.js');
  const { winsizeText } = await import('../../../src/drivers/shim/shim-winsize.js');
  const run = shimRunArgv({
    ...base,
    rootless: false,
    uidMaps: [],
    gidMaps: [],
    isolation: { proc: 'new', sys: 'new-ro', pidNs: true, caps: [], seccomp: 'default', cgroups: [] },
    detach: true,
    tty: true,
    winsizeFile: '/e/winsize',
  });
  assert.deepEqual(run.slice(run.indexOf('--winsize-file'), run.indexOf('--winsize-file') + 2), [
    '--winsize-file',
    '/e/winsize',
  ]);
  const exec = shimExecArgv({
    shim: '/s',
    pid: 42,
    rootless: false,
    env: {},
    workdir: '/',
    user: { uid: 0, gid: 0, groups: [], home: '/root' },
    tty: true,
    winsizeFile: '/e/winsize-exec-1',
    interactive: true,
    command: ['sh'],
  });
  assert.deepEqual(exec.slice(4, 8), ['--tty', '--winsize-file', '/e/winsize-exec-1', '--interactive']);
  // One length for every size, so an in-place write never leaves a longer old text behind.
  assert.equal(winsizeText({ rows: 33, cols: 101 }), '33 101         \n');
  assert.equal(winsizeText({ rows: 65535, cols: 65535 }).length, winsizeText({ rows: 1, cols: 1 }).length);
});
