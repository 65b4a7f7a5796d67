import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../../../src/core/errors.js';
import {
  type CgroupHost,
  type CgroupPlan,
  applyPlan,
  freeze,
  oomKilled,
  removeCgroups,
  stats,
  thaw,
} from '../../../src/host/cgroups/index.js';

function withTmp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cg-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function v1Plan(root: string): CgroupPlan {
  const leaf = (c: string) => join(root, c, 'berth', 'e1');
  for (const c of ['memory', 'pids']) mkdirSync(join(root, c));
  return {
    id: 'e1',
    limits: { memoryBytes: 8 << 20, pidsLimit: 5 },
    dirs: ['memory', 'pids'].map((c) => ({
      path: leaf(c),
      berthDir: join(root, c, 'berth'),
      version: 1 as const,
      controllers: [c],
    })),
    enable: [],
    writes: [
      {
        dir: leaf('memory'),
        file: 'memory.limit_in_bytes',
        value: String(8 << 20),
        version: 1,
        controller: 'memory',
        limit: 'memoryBytes',
      },
      { dir: leaf('pids'), file: 'pids.max', value: '5', version: 1, controller: 'pids', limit: 'pidsLimit' },
    ],
    placement: { memory: { version: 1, dir: leaf('memory') }, pids: { version: 1, dir: leaf('pids') } },
    unenforceable: [],
  };
}

test(
  'applyPlan writes the files, is idempotent, and undoes the dirs it created when a write fails',
  withTmp(async (root) => {
    const plan = v1Plan(root);
    await applyPlan(plan);
    assert.equal(readFileSync(join(root, 'pids/berth/e1/pids.max'), 'utf8'), '5');
    await applyPlan(plan);
    rmSync(join(root, 'memory/berth/e1'), { recursive: true });
    rmSync(join(root, 'pids/berth/e1'), { recursive: true });

    const bad: CgroupPlan = {
      ...plan,
      writes: [
        ...plan.writes,
        { dir: join(root, 'pids/berth/e1/nope'), file: 'pids.max', value: '1', version: 1, controller: 'pids' },
      ],
    };
    // Outside cgroupfs, written files would keep a leaf non-empty; so fail on the first write (leaves still empty).
    const failing: CgroupPlan = { ...bad, writes: bad.writes.slice(2) };
    await assert.rejects(
      applyPlan(failing),
      (e: unknown) => e instanceof HostError && e.code === 'cgroup-apply' && /nope/.test(e.message),
    );
    assert.equal(existsSync(join(root, 'memory/berth/e1')), false);
    assert.equal(existsSync(join(root, 'pids/berth/e1')), false);
    assert.equal(existsSync(join(root, 'pids/berth')), true, 'berth/ is shared and stays');

    // An optional write to a missing file is skipped.
    await applyPlan({
      ...plan,
      writes: [
        {
          dir: join(root, 'pids/berth/e1/none'),
          file: 'x',
          value: '0',
          version: 2,
          controller: 'memory',
          optional: true,
        },
      ],
    });
    assert.equal(existsSync(join(root, 'pids/berth/e1')), true);

    // removeCgroups: leaves (and their children) gone, berth/ kept, idempotent.
    mkdirSync(join(root, 'pids/berth/e1/child'));
    const host: CgroupHost = {
      uid: 0,
      layout: 'legacy',
      v1Memsw: false,
      v1: ['memory', 'pids'].map((c) => ({ mountPoint: join(root, c), controllers: [c], writable: true })),
    };
    await removeCgroups('e1', { host });
    await removeCgroups('e1', { host });
    assert.equal(existsSync(join(root, 'pids/berth/e1')), false);
    assert.equal(existsSync(join(root, 'pids/berth')), true);
  }),
);

test(
  'stats and oomKilled read v1 and v2 files',
  withTmp(async (root) => {
    const v1 = join(root, 'v1');
    const v2 = join(root, 'v2');
    mkdirSync(v1);
    mkdirSync(v2);
    writeFileSync(join(v1, 'cpuacct.usage'), '123456789\n');
    writeFileSync(join(v1, 'memory.usage_in_bytes'), '4096\n');
    writeFileSync(join(v1, 'memory.max_usage_in_bytes'), '8192\n');
    writeFileSync(join(v1, 'memory.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(v1, 'pids.current'), '3\n');
    writeFileSync(join(v1, 'pids.max'), 'max\n');
    writeFileSync(join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    const p1: CgroupPlan = {
      id: 'x',
      limits: {},
      dirs: [],
      enable: [],
      writes: [],
      unenforceable: [],
      placement: { cpuacct: { version: 1, dir: v1 }, memory: { version: 1, dir: v1 }, pids: { version: 1, dir: v1 } },
    };
    assert.deepEqual(stats(p1), {
      cpuUsageNs: 123456789,
      memoryCurrentBytes: 4096,
      memoryPeakBytes: 8192,
      memoryLimitBytes: null,
      pidsCurrent: 3,
      pidsLimit: null,
    });
    assert.equal(oomKilled(p1), false);
    writeFileSync(join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    assert.equal(oomKilled(p1), true);
    writeFileSync(join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\n');
    writeFileSync(join(v1, 'memory.failcnt'), '7\n');
    assert.equal(oomKilled(p1), true, 'old kernels: failcnt fallback');

    writeFileSync(join(v2, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
    writeFileSync(join(v2, 'memory.current'), '100\n');
    writeFileSync(join(v2, 'memory.max'), '16777216\n');
    writeFileSync(join(v2, 'pids.current'), '1\n');
    writeFileSync(join(v2, 'pids.max'), '64\n');
    writeFileSync(join(v2, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    const p2: CgroupPlan = {
      ...p1,
      placement: { cpuacct: { version: 2, dir: v2 }, memory: { version: 2, dir: v2 }, pids: { version: 2, dir: v2 } },
    };
    assert.deepEqual(stats(p2), {
      cpuUsageNs: 1_500_000,
      memoryCurrentBytes: 100,
      memoryLimitBytes: 16777216,
      pidsCurrent: 1,
      pidsLimit: 64,
    });
    assert.equal(oomKilled(p2), true);
    assert.equal(oomKilled({ ...p2, placement: {} }), false);
  }),
);

test(
  'freeze/thaw write the state and wait for it; a missing freezer is a HostError',
  withTmp(async (root) => {
    writeFileSync(join(root, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    const plan: CgroupPlan = {
      id: 'x',
      limits: {},
      dirs: [],
      enable: [],
      writes: [],
      unenforceable: [],
      placement: { freezer: { version: 2, dir: root } },
    };
    await freeze(plan);
    assert.equal(readFileSync(join(root, 'cgroup.freeze'), 'utf8'), '1');
    await assert.rejects(thaw(plan, { timeoutMs: 50 }), /did not reach 0/);
    writeFileSync(join(root, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    await thaw(plan);
    // v1: the plain file reads back what was written.
    const p1: CgroupPlan = { ...plan, placement: { freezer: { version: 1, dir: root } } };
    await freeze(p1);
    assert.equal(readFileSync(join(root, 'freezer.state'), 'utf8'), 'FROZEN');
    await thaw(p1);
    await assert.rejects(
      freeze({ ...plan, placement: {} }),
      (e: unknown) => e instanceof HostError && e.code === 'cgroup-no-freezer',
    );
  }),
);
