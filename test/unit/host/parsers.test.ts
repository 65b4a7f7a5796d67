import { HYBRID_MOUNTINFO } from '../../fixtures/mountinfo-hybrid.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubidFile } from '../../../src/host/probes/subids.js';
import { parseCgroupMounts, parseProcCgroup } from '../../../src/host/probes/cgroups.js';
import { mountFor, parseMountinfo } from '../../../src/host/probes/mountinfo.js';
import { isNoexec } from '../../../src/host/probes/kernel.js';
import { hasFilesystem } from '../../../src/host/probes/overlayfs.js';
import { isStaticElf } from '../../../src/host/probes/tools.js';

const HYBRID = HYBRID_MOUNTINFO;

// A systemd host with cgroup v2 only (optional fields present).
const UNIFIED = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
28 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro
`;

// A legacy v1 host with combined hierarchies and a read-only cpu mount (as in a container).
const LEGACY = `25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
`;

test('parseSubidFile: by name, by uid, first range, malformed lines skipped', () => {
  const text = `# comment
root:100000:65536

broken line
alice:x:65536
alice:165536:0
alice:165536:65536
alice:300000:10
1001:231072:65536
`;
  assert.deepEqual(parseSubidFile(text, 'alice', 1000), { start: 165536, count: 65536 });
  assert.deepEqual(parseSubidFile(text, 'bob', 1001), { start: 231072, count: 65536 });
  assert.deepEqual(parseSubidFile(text, 'root', 0), { start: 100000, count: 65536 });
  assert.equal(parseSubidFile(text, 'carol', 1002), undefined);
  assert.equal(parseSubidFile('', 'alice', 1000), undefined);
  // A name is not matched as a prefix.
  assert.equal(parseSubidFile('alicex:1:2\n', 'alice', 1000), undefined);
});

test('parseCgroupMounts: hybrid (this machine)', () => {
  const r = parseCgroupMounts(HYBRID);
  assert.equal(r.layout, 'hybrid');
  assert.deepEqual(r.v2, [{ mountPoint: '/sys/fs/cgroup/unified', readOnly: false }]);
  assert.equal(r.v1.length, 9);
  assert.deepEqual(r.v1.find((m) => m.mountPoint === '/sys/fs/cgroup/pids')?.controllers, ['pids']);
  const sd = r.v1.find((m) => m.mountPoint === '/sys/fs/cgroup/systemd');
  assert.deepEqual(sd, { mountPoint: '/sys/fs/cgroup/systemd', controllers: [], name: 'systemd', readOnly: false });
  for (const c of ['cpu', 'memory', 'pids'])
    assert.ok(
      r.v1.some((m) => m.controllers.includes(c)),
      c,
    );
});

test('parseCgroupMounts: unified v2', () => {
  const r = parseCgroupMounts(UNIFIED);
  assert.equal(r.layout, 'unified');
  assert.deepEqual(r.v1, []);
  assert.deepEqual(r.v2, [{ mountPoint: '/sys/fs/cgroup', readOnly: false }]);
});

test('parseCgroupMounts: legacy v1, combined controllers, read-only mount', () => {
  const r = parseCgroupMounts(LEGACY);
  assert.equal(r.layout, 'legacy');
  const cpu = r.v1.find((m) => m.controllers.includes('cpu'));
  assert.deepEqual(cpu, { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'], readOnly: true });
  assert.equal(r.v1.find((m) => m.name === 'systemd')?.controllers.length, 0);
});

test('parseCgroupMounts: none, and garbage never throws', () => {
  assert.equal(parseCgroupMounts('').layout, 'none');
  assert.equal(parseCgroupMounts('garbage\n1 2 3\n- - -\n').layout, 'none');
  // only a named v1 hierarchy beside v2 is unified for limits
  const named = `39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
`;
  assert.equal(parseCgroupMounts(named).layout, 'unified');
});

test('parseProcCgroup: v1 lines per controller and the v2 line', () => {
  const m = parseProcCgroup(`12:pids:/user.slice/user-1000.slice
4:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/user-1000.slice/session-2.scope
0::/user.slice/user-1000.slice/session-2.scope
`);
  assert.equal(m.get('pids'), '/user.slice/user-1000.slice');
  assert.equal(m.get('cpu'), '/user.slice');
  assert.equal(m.get('cpuacct'), '/user.slice');
  assert.equal(m.get(''), '/user.slice/user-1000.slice/session-2.scope');
  assert.equal(m.get('memory'), undefined);
});

test('parseMountinfo: escapes, optional fields, super options', () => {
  const [e] = parseMountinfo(
    '50 26 0:40 / /mnt/with\\040space rw,nosuid shared:3 master:1 - tmpfs my\\011src rw,size=10k\n',
  );
  assert.ok(e);
  assert.equal(e.mountPoint, '/mnt/with space');
  assert.equal(e.source, 'my\tsrc');
  assert.equal(e.fsType, 'tmpfs');
  assert.deepEqual(e.options, ['rw', 'nosuid']);
  assert.deepEqual(e.superOptions, ['rw', 'size=10k']);
});

test('mountFor / isNoexec: deepest mount, last of a stack, no prefix confusion', () => {
  const text = `26 1 254:0 / / rw,relatime - ext4 /dev/vda rw
60 26 0:50 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw
61 60 0:51 / /tmp rw,nosuid,nodev,noexec - tmpfs tmpfs rw
62 26 0:52 / /run rw,nosuid,nodev,noexec - tmpfs tmpfs rw
63 62 0:53 / /run/user/1000 rw,nosuid,nodev - tmpfs tmpfs rw
`;
  assert.equal(isNoexec(text, '/tmp'), true);
  assert.equal(isNoexec(text, '/tmp/x/y'), true);
  assert.equal(isNoexec(text, '/tmpfoo'), false);
  assert.equal(isNoexec(text, '/run'), true);
  assert.equal(isNoexec(text, '/run/user/1000/berth'), false);
  assert.equal(isNoexec(text, '/run/user/10000'), true);
  assert.equal(mountFor(parseMountinfo(text), '/home/x')?.mountPoint, '/');
  assert.equal(isNoexec('', '/tmp'), undefined);
});

test('hasFilesystem', () => {
  const fs = 'nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n';
  assert.equal(hasFilesystem(fs, 'overlay'), true);
  assert.equal(hasFilesystem(fs, 'ext4'), true);
  assert.equal(hasFilesystem(fs, 'btrfs'), false);
});

function elf64(withInterp: boolean): Buffer {
  const b = Buffer.alloc(64 + 2 * 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little endian
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(2, 56); // e_phnum
  b.writeUInt32LE(6, 64); // PT_PHDR
  b.writeUInt32LE(withInterp ? 3 : 1, 64 + 56); // PT_INTERP or PT_LOAD
  return b;
}

test('isStaticElf', () => {
  assert.equal(isStaticElf(elf64(false)), true);
  assert.equal(isStaticElf(elf64(true)), false);
  assert.equal(isStaticElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80))), undefined);
  assert.equal(isStaticElf(elf64(false).subarray(0, 100)), undefined); // truncated program headers
});
