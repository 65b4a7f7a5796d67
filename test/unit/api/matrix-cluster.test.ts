import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slurmOptions } from '../../../src/api/matrix/slurm/slurm-options.js';
import { isActive, parseJobId, parseSqueue, sbatchArgs } from '../../../src/api/matrix/slurm/slurm-commands.js';
import { shellQuote, taskScript } from '../../../src/api/matrix/remote/task-script.js';
import { indexedJob, needsPrivileged } from '../../../src/api/matrix/kubernetes/indexed-job.js';
import { cellsOf } from '../../../src/api/matrix/cells.js';
import { resultOf } from '../../../src/api/matrix/remote/records.js';
import { type MatrixPlan, versionMismatch } from '../../../src/api/matrix/remote/plan.js';
import { watchRecords } from '../../../src/api/matrix/remote/record-watch.js';

test('slurm options: time limits and partitions as Slurm spells them; berth-owned sbatch options refused', () => {
  for (const t of ['30', '10:00', '1:00:00', '2-12', '2-12:30', '2-12:30:00'])
    assert.equal(slurmOptions({ time: t }).time, t);
  assert.throws(() => slurmOptions({ time: 'soon' }), /--time "soon" is not a Slurm time limit/);
  assert.throws(() => slurmOptions({ partition: 'a b' }), /not a Slurm partition name/);
  assert.throws(() => slurmOptions({ args: ['--array=1-3'] }), /berth sets --array itself/);
  assert.throws(() => slurmOptions({ args: ['mem=2G'] }), /not an sbatch option/);
  assert.deepEqual(slurmOptions({ partition: 'debug', args: ['--mem=2G'] }), {
    partition: 'debug',
    args: ['--mem=2G'],
  });
});

test('sbatch: one array task per cell, outputs in the results directory, no requeue, the task script and its plan last', () => {
  const a = sbatchArgs({
    cells: 3,
    resultsDir: '/r',
    cwd: '/w',
    slurm: { partition: 'p', time: '5', args: ['--mem=1G'] },
  });
  assert.deepEqual(a, [
    '--parsable',
    '--array=0-2',
    '--job-name=berth-matrix',
    '--output=/r/scheduler/%a.out',
    '--chdir=/w',
    '--no-requeue',
    '--export=ALL',
    '--partition=p',
    '--time=5',
    '--mem=1G',
    '/r/task.sh',
    '/r/plan.json',
  ]);
  assert.equal(parseJobId('42\n'), '42');
  assert.equal(parseJobId('42;cluster\n'), '42');
  assert.equal(parseJobId('sbatch: error'), undefined);
});

test('squeue: pending ranges count for each task; finished states are not active', () => {
  const m = parseSqueue('[2-3,5%4]|PENDING||Resources\n0|RUNNING|n1|None\n1|COMPLETED|n2|None\n4|NODE_FAIL|n2|None\n');
  assert.deepEqual([...m.entries()].map(([i, t]) => `${i}:${t.state}:${t.node}`).sort(), [
    '0:RUNNING:n1',
    '1:COMPLETED:n2',
    '2:PENDING:',
    '3:PENDING:',
    '4:NODE_FAIL:n2',
    '5:PENDING:',
  ]);
  assert.equal(isActive('COMPLETING'), true);
  assert.equal(isActive('NODE_FAIL'), false);
  assert.equal(isActive('CANCELLED+'), false);
});

const plan = (backends: MatrixPlan['spec']['backends']): MatrixPlan => {
  const spec = { backends, images: ['busybox'], kernels: [], command: ['true'], jobs: 2 };
  return { version: '1.2.3', spec, cells: cellsOf(spec), resultsDir: '/results', cwd: '/w' };
};

test('task script: picks the cell by index and execs berth once (no --version process); a missing berth becomes the record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-task-script-'));
  try {
    const fake = join(dir, 'berth');
    // A stand-in berth that logs every call (pure logic of the script only; the real one runs in the integration test).
    writeFileSync(fake, `#!/bin/sh\necho "$*" >>${join(dir, 'calls')}\necho "ran $*"\n`, { mode: 0o755 });
    const cells = plan(['chroot', 'container']).cells;
    const run = (script: string, env: Record<string, string>) => {
      writeFileSync(join(dir, 'task.sh'), script);
      return spawnSync('sh', [join(dir, 'task.sh'), join(dir, 'plan.json')], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
      });
    };
    const script = taskScript({ version: '1.2.3', cells, resultsDir: dir, berth: [fake] });
    const r = run(script, { JOB_COMPLETION_INDEX: '0' });
    assert.equal(r.stdout, `ran __matrix-task ${join(dir, 'plan.json')} 0\n`);
    // berth was started once, for the cell: the version check is its own (versionMismatch below).
    assert.equal(readFileSync(join(dir, 'calls'), 'utf8'), `__matrix-task ${join(dir, 'plan.json')} 0\n`);
    assert.equal(run(script, { SLURM_ARRAY_TASK_ID: '7' }).status, 2);
    const none = taskScript({ version: '1.2.3', cells, resultsDir: dir, berth: [join(dir, 'nope')] });
    assert.equal(run(none, { SLURM_ARRAY_TASK_ID: '1', SLURMD_NODENAME: 'n"2' }).status, 1);
    const rec = JSON.parse(readFileSync(join(dir, 'cells', 'container-busybox.json'), 'utf8'));
    assert.deepEqual(rec, {
      id: 'container-busybox',
      state: 'error',
      reason: `no berth on node n"2 at ${join(dir, 'nope')}: install berth 1.2.3 at that path or pass --berth-path`,
      node: 'n"2',
    });
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a task's berth of another version refuses the plan with the node, both versions and the fix", () => {
  assert.equal(versionMismatch('n1', '1.2.3', '1.2.3'), undefined);
  assert.equal(
    versionMismatch('n2', '0.9.0', '1.2.3'),
    'berth on node n2 is version 0.9.0, the submitter runs 1.2.3: install berth 1.2.3 there or pass --berth-path',
  );
  assert.match(versionMismatch('n2', '', '1.2.3')!, /is version unknown/);
});

test('record watch: wakes on a record renamed into place or on abort, and lists the ids', {
  timeout: 30_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-record-watch-'));
  const w = watchRecords(dir);
  try {
    assert.deepEqual(w.ids(), new Set());
    // Waits of an hour: only the watch (or the abort) can end them within the test's timeout.
    const woke = w.next(3_600_000);
    writeFileSync(join(dir, 'a.json.tmp'), '{}');
    renameSync(join(dir, 'a.json.tmp'), join(dir, 'a.json'));
    await woke;
    assert.deepEqual(w.ids(), new Set(['a']));
    await w.next(0);
    const abort = new AbortController();
    const aborted = w.next(3_600_000, abort.signal);
    abort.abort();
    await aborted;
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records merge into the fields a local run fills, plus the node', () => {
  const [cell] = plan(['chroot']).cells;
  assert.deepEqual(resultOf(cell!, { id: cell!.id, state: 'failed', exitCode: 3, durationMs: 5, node: 'n1' }, '/x'), {
    ...cell,
    state: 'failed',
    exitCode: 3,
    durationMs: 5,
    node: 'n1',
  });
});

test('kubernetes: an Indexed Job with a completion per cell; pods privileged only for chroot/container, /dev/kvm for microvm', () => {
  const p = plan(['uml', 'microvm']);
  const list = indexedJob(p, '#!/bin/sh\n', 'berth-matrix-x', {
    podImage: 'img',
    resultsClaim: 'claim',
    kvmResource: 'devices.kubevirt.io/kvm',
  });
  const job = list.items[1] as ReturnType<typeof indexedJob>['items'][1] & {
    spec: {
      completionMode: string;
      completions: number;
      template: { spec: { containers: { securityContext?: unknown; resources: { limits: unknown } }[] } };
    };
  };
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 2);
  const c = job.spec.template.spec.containers[0]!;
  assert.equal(c.securityContext, undefined);
  assert.deepEqual(c.resources.limits, { 'devices.kubevirt.io/kvm': '1' });
  assert.equal(needsPrivileged(['uml']), false);
  assert.equal(needsPrivileged(['uml', 'container']), true);
});
