import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { virtiofsGuestMounts, virtiofsShares } from '../../../../src/drivers/microvm/virtiofs-shares.js';
import { virtiofsdArgv, VIRTIOFSD } from '../../../../src/drivers/microvm/virtiofsd-cmdline.js';
import { qemuArgv, MICROVM_MACHINE } from '../../../../src/drivers/microvm/qemu-cmdline.js';
import { encodeMount } from '../../../../src/drivers/vm/guest-protocol.js';

const mounts = [
  { source: '/src/dir', target: '/data', readOnly: false },
  { source: '/src/link.txt', target: '/etc/app.conf', readOnly: true },
];
const inspect = (p: string) =>
  p === '/src/dir' ? ({ directory: true } as const) : ({ directory: false, realPath: '/real/app,1.conf' } as const);

test('virtiofs shares: a tag, a staging dir under the state dir and a socket in the runtime dir per -v; files by real path', () => {
  const shares = virtiofsShares(mounts, '/state/envs/ID', '/run/berth/vm/ID16', inspect);
  assert.deepEqual(shares, [
    {
      tag: 'berth0',
      source: '/src/dir',
      readOnly: false,
      stage: '/state/envs/ID/shares/0',
      socket: '/run/berth/vm/ID16/fs0.sock',
      target: '/data',
    },
    {
      tag: 'berth1',
      source: '/real/app,1.conf',
      fileName: 'app,1.conf',
      readOnly: true,
      stage: '/state/envs/ID/shares/1',
      socket: '/run/berth/vm/ID16/fs1.sock',
      target: '/etc/app.conf',
    },
  ]);
  // The guest mounts the tag; a file as TAG/NAME, bound alone over its target.
  assert.deepEqual(virtiofsGuestMounts(shares).map(encodeMount), [
    'rw:virtiofs:/data:berth0',
    'ro,file:virtiofs:/etc/app.conf:berth1/app,1.conf',
  ]);
});

test('virtiofsd argv: a private mount namespace stages the share; a normal user wraps it in a user namespace', () => {
  const [dir, file] = virtiofsShares(mounts, '/state/envs/ID', '/run/vm/ID16', inspect);
  const a = virtiofsdArgv(dir!);
  assert.deepEqual(a.slice(0, 6), ['unshare', '--mount', '--propagation', 'private', '--', 'sh']);
  // After the script: $0, then source, stage, file name, ro, runtime dir, and virtiofsd's own argv.
  assert.deepEqual(a.slice(8), [
    'berth-virtiofsd',
    '/src/dir',
    '/state/envs/ID/shares/0',
    '',
    '0',
    '/run/vm/ID16',
    VIRTIOFSD,
    '--socket-path=fs0.sock',
    '-o',
    'source=/state/envs/ID/shares/0',
    '-o',
    'cache=auto',
    '-o',
    'log_level=warn',
  ]);
  const b = virtiofsdArgv(file!, { virtiofsd: '/x/virtiofsd', userns: (argv) => ['shim', 'unshare', '--', ...argv] });
  assert.deepEqual(b.slice(0, 4), ['shim', 'unshare', '--', 'unshare']);
  assert.deepEqual(b.slice(12, 18), [
    '/real/app,1.conf',
    '/state/envs/ID/shares/1',
    'app,1.conf',
    '1',
    '/run/vm/ID16',
    '/x/virtiofsd',
  ]);
  // The script parses as sh.
  const sh = spawnSync('sh', ['-n', '-c', a[7]!]);
  assert.equal(sh.status, 0, String(sh.stderr));
  // Every process of it names the state dir (rm finds them by that).
  for (const argv of [a, b]) assert.ok(argv.filter((x) => x.includes('/state/envs/ID/shares/')).length >= 2);
});

test('qemu argv with shares: modern virtio-mmio, RAM from a shared memfd, a vhost-user-fs device per share', () => {
  const base = {
    accel: 'tcg' as const,
    memoryMiB: 256,
    cpus: 1,
    kernel: '/k',
    initrd: '/i',
    append: 'x',
    serial: { kind: 'none' as const },
    network: { mode: 'none' as const },
  };
  const plain = qemuArgv(base);
  assert.equal(plain[2], MICROVM_MACHINE);
  assert.ok(!plain.includes('-object'));
  const argv = qemuArgv({ ...base, shares: [{ tag: 'berth0', socket: '/run/a,b/fs0.sock' }] });
  assert.equal(argv[2], `${MICROVM_MACHINE},memory-backend=ram`);
  const at = (flag: string, value: string) => {
    const i = argv.findIndex((v, k) => v === flag && argv[k + 1] === value);
    assert.ok(i > 0, `${flag} ${value} in ${argv.join(' ')}`);
  };
  at('-global', 'virtio-mmio.force-legacy=false');
  at('-object', 'memory-backend-memfd,id=ram,size=256M,share=on');
  at('-chardev', 'socket,id=fs0,path=/run/a,,b/fs0.sock');
  at('-device', 'vhost-user-fs-device,chardev=fs0,tag=berth0');
  assert.throws(() => qemuArgv({ ...base, shares: [{ tag: 'a,b', socket: '/s' }] }), /not a tag/);
});
