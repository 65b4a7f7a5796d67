/**
 * Real cgroups (root only; under CI=true a non-root run fails instead of skipping): create the
 * environment's cgroups for a fake id, put processes in through cgroup.procs (as the native shim
 * does), read the limits back, provoke an OOM kill under 16 MiB, freeze/thaw, stats, remove.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireThat } from '../../helpers/requirements.js';
import {
  applyPlan,
  describeCgroups,
  freeze,
  joinDirs,
  oomKilled,
  planCgroups,
  readCgroupHost,
  removeCgroups,
  stats,
  thaw,
} from '../../../src/host/cgroups/index.js';

const MiB = 1024 * 1024;

function leftovers(id: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const d = join('/sys/fs/cgroup', h, 'berth', id);
    if (existsSync(d)) out.push(d);
  }
  return out;
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

test('cgroups: create, join, limits, OOM, freeze/thaw, stats, remove', async (t) => {
  if (!requireThat(t, process.getuid?.() === 0, 'root (cgroup writes)')) return;
  const host = readCgroupHost();
  const id = `itest-${process.pid}`;
  const plan = planCgroups(host, id, { memoryBytes: 16 * MiB, cpus: 0.5, pidsLimit: 64 });
  if (
    !requireThat(
      t,
      plan.unenforceable.length === 0,
      `all limits enforceable here (${JSON.stringify(plan.unenforceable)})`,
    )
  )
    return;
  const children: ReturnType<typeof spawn>[] = [];
  try {
    await applyPlan(plan);
    await applyPlan(plan); // idempotent
    for (const d of describeCgroups(plan).enforced) assert.equal(readFileSync(d.file, 'utf8').trim(), d.value, d.file);

    // A long-lived task joins every dir, as the native shim does with --cgroup DIR.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    for (const d of joinDirs(plan)) writeFileSync(join(d, 'cgroup.procs'), String(sleeper.pid));
    const own = readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8');
    assert.ok(own.includes(`/berth/${id}`), own);

    const s0 = stats(plan);
    assert.equal(s0.pidsCurrent, 1);
    assert.equal(s0.pidsLimit, 64);
    assert.equal(s0.memoryLimitBytes, 16 * MiB);
    assert.ok((s0.memoryCurrentBytes ?? -1) >= 0);
    assert.ok((s0.cpuUsageNs ?? -1) >= 0);

    await freeze(plan);
    const f = plan.placement.freezer!;
    assert.equal(
      readFileSync(join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze'), 'utf8').trim(),
      f.version === 1 ? 'FROZEN' : '1',
    );
    assert.match(readFileSync(`/proc/${sleeper.pid}/status`, 'utf8'), /State:\s+[SD]/);
    await thaw(plan);
    assert.equal(
      readFileSync(join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze'), 'utf8').trim(),
      f.version === 1 ? 'THAWED' : '0',
    );

    // OOM: a shell waits on stdin until it is in the cgroup, then tail buffers 64 MiB without newlines.
    assert.equal(oomKilled(plan), false);
    const hog = spawn('sh', ['-c', 'read go; head -c 64m /dev/zero | tail; echo survived'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(hog);
    for (const d of joinDirs(plan)) writeFileSync(join(d, 'cgroup.procs'), String(hog.pid));
    let out = '';
    hog.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const done = exited(hog);
    hog.stdin!.end('go\n');
    await done;
    assert.equal(oomKilled(plan), true, `expected an OOM kill (output: ${out})`);
    const s1 = stats(plan);
    assert.ok((s1.memoryPeakBytes ?? 0) <= 16 * MiB + 1, `peak ${s1.memoryPeakBytes}`);
    assert.ok((s1.cpuUsageNs ?? 0) > (s0.cpuUsageNs ?? 0));

    // The caller kills and waits; then remove.
    const gone = exited(sleeper);
    sleeper.kill('SIGKILL');
    await gone;
    await removeCgroups(id, { plan, host });
    await removeCgroups(id, { plan, host }); // idempotent
    assert.deepEqual(leftovers(id), []);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    await removeCgroups(id, { host }).catch(() => undefined);
  }
  assert.deepEqual(leftovers(id), []);
});

test('cgroups: a failing write leaves nothing behind', async (t) => {
  if (!requireThat(t, process.getuid?.() === 0, 'root (cgroup writes)')) return;
  const host = readCgroupHost();
  const id = `itest-bad-${process.pid}`;
  const plan = planCgroups(host, id, { pidsLimit: 10 });
  const w = plan.writes.find((x) => x.file === 'pids.max');
  if (!requireThat(t, w !== undefined, 'pids controller enforceable')) return;
  plan.writes.push({ ...w!, value: 'not-a-number' });
  await assert.rejects(applyPlan(plan), /cannot write "not-a-number"/);
  assert.deepEqual(leftovers(id), []);
});
