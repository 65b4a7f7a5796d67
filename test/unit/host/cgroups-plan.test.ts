import { HYBRID_MOUNTINFO } from '../../fixtures/mountinfo-hybrid.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from '../../../src/core/errors.js';
import { parseCgroupMounts } from '../../../src/host/probes/cgroups.js';
import {
  type CgroupHostIO,
  candidateDirs,
  deriveCgroupHost,
  describeCgroups,
  describeLines,
  planCgroups,
  shimCgroupArgs,
} from '../../../src/host/cgroups/index.js';

const MiB = 1024 * 1024;
const LIMITS = { memoryBytes: 256 * MiB, cpus: 0.5, pidsLimit: 100 };

const HYBRID = HYBRID_MOUNTINFO;
const HYBRID_PROC = `9:name=systemd:/
8:pids:/
4:memory:/process_api/c81667a928fe0dfc4017b9977d581df1
2:cpuacct:/
1:cpu:/
0::/
`;

const V2 = `30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_USER_PROC = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n';

/** Classic v1 with cpu and cpuacct co-mounted (Debian/RHEL 7 style). */
const V1 = `25 24 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
30 25 0:27 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
31 25 0:28 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer
`;

/** A fake host: files (path -> content), owners (path -> uid), writable paths. */
function fakeIO(
  uid: number,
  procCgroup: string,
  files: Record<string, string> = {},
  owners: Record<string, number> = {},
  kernelRelease = '6.1.0',
): CgroupHostIO {
  return {
    uid,
    procCgroup,
    kernelRelease,
    read: (p) => files[p],
    exists: (p) => p in files || p in owners,
    owner: (p) => owners[p.replace(/\/cgroup\.(procs|subtree_control)$/, '')],
    writable: (p) => owners[p.replace(/\/cgroup\.(procs|subtree_control)$/, '')] === uid,
  };
}

function files(plan: ReturnType<typeof planCgroups>): string[] {
  return plan.writes.map((w) => `${w.dir}/${w.file}=${w.value}${w.optional ? '?' : ''}`);
}

test('hybrid host as root (this host): everything on v1, cpu and cpuacct separate, memsw closes the swap escape', () => {
  const host = deriveCgroupHost(
    parseCgroupMounts(HYBRID),
    fakeIO(0, HYBRID_PROC, {
      '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes': '9223372036854771712\n',
      '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
    }),
  );
  assert.equal(host.layout, 'hybrid');
  assert.deepEqual(host.v2?.controllers, ['hugetlb']);
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(plan.unenforceable, []);
  assert.deepEqual(plan.enable, []);
  assert.deepEqual(
    plan.dirs.map((d) => [d.path, d.version, d.controllers.join(',')]),
    [
      ['/sys/fs/cgroup/memory/berth/abc', 1, 'memory'],
      ['/sys/fs/cgroup/cpu/berth/abc', 1, 'cpu'],
      ['/sys/fs/cgroup/pids/berth/abc', 1, 'pids'],
      ['/sys/fs/cgroup/cpuacct/berth/abc', 1, 'cpuacct'],
      ['/sys/fs/cgroup/freezer/berth/abc', 1, 'freezer'],
    ],
  );
  assert.deepEqual(files(plan), [
    `/sys/fs/cgroup/memory/berth/abc/memory.limit_in_bytes=${256 * MiB}`,
    `/sys/fs/cgroup/memory/berth/abc/memory.memsw.limit_in_bytes=${256 * MiB}`,
    '/sys/fs/cgroup/cpu/berth/abc/cpu.cfs_period_us=100000',
    '/sys/fs/cgroup/cpu/berth/abc/cpu.cfs_quota_us=50000',
    '/sys/fs/cgroup/pids/berth/abc/pids.max=100',
  ]);
  assert.deepEqual(plan.placement.freezer, { version: 1, dir: '/sys/fs/cgroup/freezer/berth/abc' });
  assert.deepEqual(plan.placement.cpuacct, { version: 1, dir: '/sys/fs/cgroup/cpuacct/berth/abc' });
  assert.deepEqual(shimCgroupArgs(plan).slice(0, 4), [
    '--cgroup',
    '/sys/fs/cgroup/memory/berth/abc',
    '--cgroup',
    '/sys/fs/cgroup/cpu/berth/abc',
  ]);
  // The plan is plain data (stored in the state dir).
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

test('hybrid host rootless: limits unenforceable (v1 is root only), pause through the delegated v2 subtree', () => {
  const base = '/sys/fs/cgroup/unified/user.slice/user-1000.slice/user@1000.service';
  const host = deriveCgroupHost(
    parseCgroupMounts(HYBRID),
    fakeIO(
      1000,
      '1:cpu:/user.slice\n0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n',
      { [`${base}/cgroup.controllers`]: '\n', [`${base}/cgroup.freeze`]: '0\n' },
      {
        [base]: 1000,
        [`${base}/app.slice`]: 1000,
        [`${base}/app.slice/term.scope`]: 1000,
        '/sys/fs/cgroup/unified/user.slice/user-1000.slice': 0,
      },
    ),
  );
  assert.equal(host.v2?.base, base);
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(
    plan.unenforceable.map((u) => u.limit),
    ['memoryBytes', 'cpus', 'pidsLimit'],
  );
  assert.match(
    plan.unenforceable[0]!.reason,
    /memory controller is on cgroup v1 \(\/sys\/fs\/cgroup\/memory\), which only root can write/,
  );
  assert.deepEqual(plan.writes, []);
  assert.deepEqual(
    plan.dirs.map((d) => d.path),
    [`${base}/berth/abc`],
  );
  assert.deepEqual(plan.placement.freezer, { version: 2, dir: `${base}/berth/abc` });
  assert.deepEqual(plan.enable, []);
});

test('pure v2 as root: one dir, controllers enabled in the parents, memory.max + swap 0 + cpu.max + pids.max', () => {
  const host = deriveCgroupHost(
    parseCgroupMounts(V2),
    fakeIO(0, '0::/init.scope\n', {
      '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
    }),
  );
  assert.equal(host.layout, 'unified');
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(plan.unenforceable, []);
  assert.deepEqual(plan.dirs, [
    {
      path: '/sys/fs/cgroup/berth/abc',
      berthDir: '/sys/fs/cgroup/berth',
      version: 2,
      controllers: ['memory', 'cpu', 'pids'],
    },
  ]);
  assert.deepEqual(plan.enable, [
    { dir: '/sys/fs/cgroup', controllers: ['memory', 'cpu', 'pids'] },
    { dir: '/sys/fs/cgroup/berth', controllers: ['memory', 'cpu', 'pids'] },
  ]);
  assert.deepEqual(files(plan), [
    `/sys/fs/cgroup/berth/abc/memory.max=${256 * MiB}`,
    '/sys/fs/cgroup/berth/abc/memory.swap.max=0?',
    '/sys/fs/cgroup/berth/abc/cpu.max=50000 100000',
    '/sys/fs/cgroup/berth/abc/pids.max=100',
  ]);
  for (const role of ['memory', 'cpu', 'pids', 'cpuacct', 'freezer'] as const)
    assert.equal(plan.placement[role]?.version, 2, role);
});

test('pure v2 rootless, delegated: the user-owned subtree found from /proc/self/cgroup hosts berth/<id>', () => {
  const base = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service';
  const host = deriveCgroupHost(
    parseCgroupMounts(V2),
    fakeIO(
      1000,
      V2_USER_PROC,
      { [`${base}/cgroup.controllers`]: 'cpu memory pids\n', [`${base}/cgroup.freeze`]: '0\n' },
      {
        [base]: 1000,
        [`${base}/app.slice`]: 1000,
        [`${base}/app.slice/term.scope`]: 1000,
        '/sys/fs/cgroup/user.slice/user-1000.slice': 0,
        '/sys/fs/cgroup/user.slice': 0,
      },
    ),
  );
  assert.equal(host.v2?.base, base);
  const plan = planCgroups(host, 'abc', { memoryBytes: 64 * MiB });
  assert.deepEqual(plan.unenforceable, []);
  assert.deepEqual(
    plan.dirs.map((d) => d.path),
    [`${base}/berth/abc`],
  );
  assert.deepEqual(
    plan.enable.map((e) => e.dir),
    [base, `${base}/berth`],
  );
  assert.deepEqual(files(plan), [`${base}/berth/abc/memory.max=${64 * MiB}`, `${base}/berth/abc/memory.swap.max=0?`]);
});

test('pure v2 rootless, delegated without the cpu controller: only cpus is unenforceable', () => {
  const base = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service';
  const host = deriveCgroupHost(
    parseCgroupMounts(V2),
    fakeIO(
      1000,
      V2_USER_PROC,
      { [`${base}/cgroup.controllers`]: 'memory pids\n', [`${base}/cgroup.freeze`]: '0\n' },
      { [base]: 1000, [`${base}/app.slice`]: 1000, [`${base}/app.slice/term.scope`]: 1000 },
    ),
  );
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(
    plan.unenforceable.map((u) => u.limit),
    ['cpus'],
  );
  assert.match(plan.unenforceable[0]!.reason, /not delegated to this user/);
  assert.deepEqual(plan.placement.cpuacct, { version: 2, dir: `${base}/berth/abc` });
});

test('pure v2 rootless, not delegated: every limit unenforceable, nothing to create', () => {
  const host = deriveCgroupHost(
    parseCgroupMounts(V2),
    fakeIO(
      1000,
      V2_USER_PROC,
      {},
      { '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope': 0 },
    ),
  );
  assert.equal(host.v2?.base, undefined);
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(plan.dirs, []);
  assert.deepEqual(plan.writes, []);
  assert.deepEqual(
    plan.unenforceable.map((u) => u.limit),
    ['memoryBytes', 'cpus', 'pidsLimit'],
  );
  assert.match(plan.unenforceable[0]!.reason, /no delegated cgroup v2 subtree/);
  assert.equal(describeCgroups(plan).pause, null);
});

test('pure v1 as root: cpu,cpuacct co-mounted share one dir; no memsw without swap accounting', () => {
  const host = deriveCgroupHost(parseCgroupMounts(V1), fakeIO(0, '1:cpu,cpuacct:/\n'));
  assert.equal(host.layout, 'legacy');
  const plan = planCgroups(host, 'abc', LIMITS);
  assert.deepEqual(
    plan.dirs.map((d) => [d.path, d.controllers.join(',')]),
    [
      ['/sys/fs/cgroup/memory/berth/abc', 'memory'],
      ['/sys/fs/cgroup/cpu,cpuacct/berth/abc', 'cpu,cpuacct'],
      ['/sys/fs/cgroup/pids/berth/abc', 'pids'],
      ['/sys/fs/cgroup/freezer/berth/abc', 'freezer'],
    ],
  );
  assert.equal(plan.placement.cpuacct?.dir, '/sys/fs/cgroup/cpu,cpuacct/berth/abc');
  assert.deepEqual(
    files(plan).filter((f) => f.includes('memory')),
    [`/sys/fs/cgroup/memory/berth/abc/memory.limit_in_bytes=${256 * MiB}`],
  );
});

test('pure v1 rootless: nothing is writable, every requested limit is reported', () => {
  const host = deriveCgroupHost(parseCgroupMounts(V1), fakeIO(1000, '1:cpu,cpuacct:/user.slice\n'));
  const plan = planCgroups(host, 'abc', { pidsLimit: 10 });
  assert.deepEqual(plan.dirs, []);
  assert.deepEqual(plan.unenforceable, [
    {
      limit: 'pidsLimit',
      reason: 'the pids controller is on cgroup v1 (/sys/fs/cgroup/pids), which only root can write',
    },
  ]);
});

test('no cgroups mounted at all', () => {
  const host = deriveCgroupHost(parseCgroupMounts(''), fakeIO(0, ''));
  const plan = planCgroups(host, 'abc', { memoryBytes: 8 * MiB });
  assert.match(plan.unenforceable[0]!.reason, /not mounted on this host/);
});

test('no limits: the dirs are still planned (stats, OOM detection, pause), no files written', () => {
  const host = deriveCgroupHost(parseCgroupMounts(V1), fakeIO(0, ''));
  const plan = planCgroups(host, 'abc', {});
  assert.equal(plan.dirs.length, 4);
  assert.deepEqual(plan.writes, []);
});

test('limits are validated: tiny memory, tiny cpus, bad pids, bad ids', () => {
  const host = deriveCgroupHost(parseCgroupMounts(V1), fakeIO(0, ''));
  assert.throws(
    () => planCgroups(host, 'abc', { memoryBytes: 5 * MiB }),
    (e: unknown) => e instanceof SpecError && e.code === 'memory-too-small' && /6m/.test(e.fix ?? ''),
  );
  assert.doesNotThrow(() => planCgroups(host, 'abc', { memoryBytes: 6 * MiB }));
  assert.throws(() => planCgroups(host, 'abc', { cpus: 0.001 }), SpecError);
  assert.throws(() => planCgroups(host, 'abc', { cpus: -1 }), SpecError);
  assert.throws(() => planCgroups(host, 'abc', { pidsLimit: 1.5 }), SpecError);
  assert.throws(() => planCgroups(host, '../etc', {}), /invalid cgroup id/);
  assert.throws(() => planCgroups(host, '', {}), /invalid cgroup id/);
  assert.throws(() => planCgroups(host, '.', {}), /invalid cgroup id/);
  assert.equal(
    planCgroups(host, 'abc', { cpus: 2.5 }).writes.find((w) => w.file === 'cpu.cfs_quota_us')?.value,
    '250000',
  );
});

test('describe: which limit is enforced where, and what is not', () => {
  const host = deriveCgroupHost(
    parseCgroupMounts(HYBRID),
    fakeIO(0, HYBRID_PROC, { '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes': '1' }),
  );
  const d = describeCgroups(planCgroups(host, 'abc', { memoryBytes: 64 * MiB, cpus: 1 }));
  assert.deepEqual(
    d.enforced.map((e) => [e.limit, e.controller, e.version, e.file, e.value]),
    [
      ['memoryBytes', 'memory', 1, '/sys/fs/cgroup/memory/berth/abc/memory.limit_in_bytes', String(64 * MiB)],
      ['memoryBytes', 'memory', 1, '/sys/fs/cgroup/memory/berth/abc/memory.memsw.limit_in_bytes', String(64 * MiB)],
      ['cpus', 'cpu', 1, '/sys/fs/cgroup/cpu/berth/abc/cpu.cfs_quota_us', '100000'],
    ],
  );
  assert.deepEqual(d.pause, { version: 1, file: '/sys/fs/cgroup/freezer/berth/abc/freezer.state' });
  assert.equal(describeLines(d).at(-1), 'pause: cgroup v1, /sys/fs/cgroup/freezer/berth/abc/freezer.state');
});

test('candidateDirs: only <hierarchy>/berth/<id>, never above', () => {
  const host = deriveCgroupHost(parseCgroupMounts(HYBRID), fakeIO(0, HYBRID_PROC));
  const dirs = candidateDirs('abc', host);
  assert.ok(dirs.length >= 8);
  for (const d of dirs) assert.match(d, /^\/sys\/fs\/cgroup\/[^/]+\/berth\/abc$/);
  assert.ok(!dirs.some((d) => d.includes('systemd')));
  assert.throws(() => candidateDirs('..', host));
});
