/**
 * `berth matrix --on slurm` on a real two-node Slurm cluster on loopback (slurmctld, two slurmd,
 * munge; started once for this file): the same table, JSON and JUnit as a local run (a passing
 * cell, a cell failing with exit 3, an unavailable backend), submitted as root and as berth-test;
 * Ctrl-C cancels the array and leaves no job, process or environment; a node that dies mid-cell
 * gives a failed cell with Slurm's reason; a node running another berth version fails its cell clearly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, makeRunner, type Mode, packageDir, processesMentioning } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { type SlurmCluster, slurmInstalled, startSlurmCluster, SLURM_PACKAGES } from '../../helpers/slurm-cluster.js';
import { VERSION } from '../../../src/version.js';

let cluster: SlurmCluster | undefined;
const ready = () => isRoot() && slurmInstalled();
const why = `root and the Debian packages ${SLURM_PACKAGES}`;

before(() => {
  if (ready()) cluster = startSlurmCluster({ nodes: 2, cpusPerNode: 4 });
});
after(() => cluster?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function squeue(args: string[] = []): string {
  return spawnSync('squeue', ['-h', ...args], { encoding: 'utf8', env: { ...process.env, ...cluster!.env } }).stdout;
}

/** A work directory the runner's user can write (the shared results directory lives in it). */
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-matrix-slurm-'));
  chmodSync(dir, 0o777);
  // In its own pid namespace (container) the script's pid is small: that cell fails with 3.
  writeFileSync(join(dir, 'check.sh'), '#!/bin/sh\necho "cell ran"\ntest $$ -gt 50 || exit 3\n', { mode: 0o755 });
  return dir;
}

/** The outputs of a run without what differs by nature: times, log paths, the node. */
function normalized(dir: string, stdout: string) {
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  for (const r of json.results) {
    assert.equal(typeof r.durationMs === 'number' || r.state === 'unavailable', true, JSON.stringify(r));
    delete r.durationMs;
    delete r.logFile;
    delete r.node;
  }
  const junit = readFileSync(join(dir, 'report.xml'), 'utf8')
    .replace(/time="[\d.]+"/g, 'time=""')
    .replace(/<system-out>[^<]*\/([^/<]+)<\/system-out>/g, '<system-out>$1</system-out>');
  const table = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.replace(/\s+\d+\.\ds\s*$/, '').replace(/logs in \S+/, 'logs in'));
  return { json, junit, table };
}

const MATRIX = ['matrix', '--backend', 'chroot,container,uml', '--image', 'busybox', '--junit', 'report.xml'];
const UNAVAILABLE_UML = { BERTH_UML_KERNEL: '/nonexistent/linux.uml' };

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`matrix on Slurm gives the local run's table, JSON and JUnit (${mode})`, { timeout: 240_000 }, async (t) => {
    if (!requireThat(t, ready(), why)) return;
    const runner = makeRunner(mode);
    const local = workDir();
    const remote = workDir();
    const env = { ...cluster!.env, ...UNAVAILABLE_UML };
    try {
      const l = await runner.run([...MATRIX, '--json', 'report.json', '--', './check.sh'], {
        env,
        cwd: local,
        timeoutMs: 120_000,
      });
      assert.equal(l.code, 1, `${l.stdout}\n${l.stderr}`);
      const s = await runner.run([...MATRIX, '--json', 'report.json', '--on', 'slurm', '--', './check.sh'], {
        env,
        cwd: remote,
        timeoutMs: 120_000,
      });
      assert.equal(s.code, 1, `${s.stdout}\n${s.stderr}\n${cluster!.logs()}`);
      assert.match(s.stdout, /chroot\s+busybox\s+-\s+passed/);
      assert.match(s.stdout, /container\s+busybox\s+-\s+FAILED \(exit 3\)/);
      assert.match(s.stdout, /uml\s+busybox\s+-\s+unavailable: .*BERTH_UML_KERNEL/);
      assert.match(s.stdout, /1 passed, 1 failed, 1 unavailable/);
      assert.deepEqual(normalized(remote, s.stdout), normalized(local, l.stdout));
      // Each cell ran on a node of the cluster, as the submitting user; its log and record are in the results.
      const json = JSON.parse(readFileSync(join(remote, 'report.json'), 'utf8'));
      for (const r of json.results) assert.match(r.node, /^n[12]$/, JSON.stringify(r));
      const results = join(remote, 'berth-matrix-results');
      assert.equal(readFileSync(join(results, 'logs', 'container-busybox.log'), 'utf8'), 'cell ran\n');
      const uid = mode === 'root' ? 0 : statSync(runner.root).uid;
      assert.equal(statSync(join(results, 'cells', 'chroot-busybox.json')).uid, uid);
      // --require-all: the unavailable backend fails the run (the cells pass otherwise).
      const all = await runner.run(
        ['matrix', '--on', 'slurm', '--backend', 'chroot,uml', '--require-all', '--', 'true'],
        { env, cwd: remote, timeoutMs: 120_000 },
      );
      assert.equal(all.code, 1, all.stdout + all.stderr);
      assert.match(all.stdout, /1 passed, 0 failed, 1 unavailable/);
      // --store: images and kernels in one directory the nodes share; environments stay in each node's store.
      const some = await runner.run(
        ['matrix', '--on', 'slurm', '--backend', 'chroot,uml', '--store', 'shared-store', '--', 'true'],
        { env, cwd: remote, timeoutMs: 120_000 },
      );
      assert.equal(some.code, 0, some.stdout + some.stderr);
      assert.ok(existsSync(join(remote, 'shared-store', 'images', 'builtin', 'busybox')), some.stderr);
      assert.equal(existsSync(join(remote, 'shared-store', 'envs')), false);
      // berth returns once every record is in; the tasks' exit reaches slurmctld a moment later.
      for (let i = 0; squeue(['-t', 'PD,R,CG,S']) !== ''; i++) {
        assert.ok(i < 120, `jobs left: ${squeue()}`);
        await sleep(250);
      }
      assert.deepEqual((await runner.run(['ps', '-a', '-q'])).stdout.trim(), '');
    } finally {
      runner.cleanup();
      rmSync(local, { recursive: true, force: true });
      rmSync(remote, { recursive: true, force: true });
    }
  });

  test(`Ctrl-C cancels the Slurm array and leaves nothing behind (${mode})`, { timeout: 180_000 }, async (t) => {
    if (!requireThat(t, ready(), why)) return;
    const runner = makeRunner(mode);
    const dir = workDir();
    try {
      const child = runner.spawn(
        ['matrix', '--on', 'slurm', '--backend', 'chroot,container', '--', 'sleep', '600'],
        cluster!.env,
        dir,
      );
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      // Both cells run: their environments exist.
      for (let i = 0; (await runner.run(['ps', '-q'])).stdout.trim().split('\n').filter(Boolean).length < 2; i++) {
        assert.ok(i < 240, `the cells did not start: ${out}\n${squeue()}`);
        await sleep(250);
      }
      assert.equal(squeue(['-t', 'R']).trim().split('\n').length, 2);
      // Ctrl-C reaches berth itself (under runuser as berth-test, the node process below it).
      const berthPid = mode === 'root' ? child.pid! : descendantRunning(child.pid!, 'matrix');
      process.kill(berthPid, 'SIGINT');
      const code = await exited;
      assert.equal(code, 130, out);
      assert.match(out, /chroot\s+busybox\s+-\s+ERROR: cancelled before it finished \(scancel \d+\)/);
      for (let i = 0; squeue(['-t', 'PD,R,CG,S']) !== ''; i++) {
        assert.ok(i < 120, `jobs left: ${squeue()}`);
        await sleep(250);
      }
      for (let i = 0; processesMentioning(runner.root).length > 0; i++) {
        assert.ok(i < 120, `processes left: ${processesMentioning(runner.root).join('\n')}`);
        await sleep(250);
      }
      assert.equal((await runner.run(['ps', '-a', '-q'])).stdout.trim(), '');
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a node that dies mid-cell yields a failed cell with the reason, not a hang (${mode})`, {
    timeout: 180_000,
  }, async (t) => {
    if (!requireThat(t, ready(), why)) return;
    const runner = makeRunner(mode);
    const dir = workDir();
    try {
      const child = runner.spawn(
        ['matrix', '--on', 'slurm', '--backend', 'chroot', '--slurm-arg=--nodelist=n2', '--', 'sleep', '600'],
        cluster!.env,
        dir,
      );
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      for (let i = 0; (await runner.run(['ps', '-q'])).stdout.trim() === ''; i++) {
        assert.ok(i < 240, `the cell did not start: ${out}\n${squeue()}`);
        await sleep(250);
      }
      // The node dies: its slurmd is gone (SlurmdTimeout=20 in the test cluster, then NODE_FAIL).
      process.kill(cluster!.slurmdPid('n2')!, 'SIGKILL');
      assert.equal(await exited, 1, out);
      assert.match(
        out,
        /chroot\s+busybox\s+-\s+ERROR: the Slurm task ended NODE_FAIL.* on n2 before berth wrote its result/,
      );
      // The node comes back: slurmd ends what its predecessor left, the session reaper the environment.
      cluster!.restartSlurmd('n2');
      for (let i = 0; processesMentioning(runner.root).length > 0; i++) {
        assert.ok(i < 240, `processes left: ${processesMentioning(runner.root).join('\n')}`);
        await sleep(250);
      }
      assert.equal((await runner.run(['ps', '-a', '-q'])).stdout.trim(), '');
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a results directory the nodes do not share is a clear error per cell (${mode})`, {
    timeout: 120_000,
  }, async (t) => {
    if (!requireThat(t, ready(), why)) return;
    const runner = makeRunner(mode);
    // The submitter sees a tmpfs over this directory (its own mount namespace); the nodes see the
    // real one, empty and root's: what they write (or fail to) never reaches the submitter.
    const hidden = mkdtempSync(join(tmpdir(), 'berth-matrix-unshared-'));
    chmodSync(hidden, 0o755);
    try {
      const w = runner.argv(
        ['matrix', '--on', 'slurm', '--backend', 'chroot', '--results', join(hidden, 'r'), '--', 'true'],
        cluster!.env,
      );
      const child = spawn(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount -t tmpfs -o mode=1777 tmpfs "$0" && cd "$0" && exec "$@"',
          hidden,
          w.cmd,
          ...w.args,
        ],
        { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 1, out);
      assert.match(
        out,
        /chroot\s+busybox\s+-\s+ERROR: the Slurm task ended \w+.* without a result record in \S+\/r: the nodes must share that directory and be able to write it \(--results\)/,
      );
    } finally {
      runner.cleanup();
      rmSync(hidden, { recursive: true, force: true });
    }
  });

  test(`a node with another berth version fails its cell clearly (${mode})`, { timeout: 120_000 }, async (t) => {
    if (!requireThat(t, ready(), why)) return;
    const runner = makeRunner(mode);
    const dir = workDir();
    // A real berth of another version: the package with its VERSION constant changed, started by a launcher.
    const other = join(dir, 'other-berth');
    cpSync(packageDir(), other, { recursive: true });
    for (const f of listFiles(join(other, 'dist')).filter((f) => f.endsWith('.mjs') || f.endsWith('.cjs'))) {
      const text = readFileSync(f, 'utf8');
      // `var VERSION = "…"` in the ESM chunks, `VERSION = "…"` in the CommonJS hot path (berth --version).
      if (text.includes(`VERSION = "${VERSION}"`))
        writeFileSync(f, text.replaceAll(`VERSION = "${VERSION}"`, 'VERSION = "9.9.9"'));
    }
    // The bundle was edited in place (same length): its V8 code cache (ADR 0073) would still run
    // the old bytecode, so the copy drops it, as a rebuild would.
    for (const f of listFiles(join(other, 'dist')).filter((f) => f.endsWith('.cache'))) rmSync(f);
    const launcher = join(other, 'berth');
    writeFileSync(launcher, `#!/bin/sh\nexec ${process.execPath} ${join(other, 'dist', 'berth.cjs')} "$@"\n`, {
      mode: 0o755,
    });
    spawnSync('chmod', ['-R', 'a+rX', other]);
    try {
      const r = await runner.run(
        [
          'matrix',
          '--on',
          'slurm',
          '--backend',
          'chroot',
          '--json',
          'report.json',
          '--berth-path',
          launcher,
          '--',
          'true',
        ],
        { env: cluster!.env, cwd: dir, timeoutMs: 120_000 },
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /ERROR: berth on node n[12] is version 9\.9\.9, the submitter runs 0\.1\.0: install berth/,
      );
      const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      assert.equal(json.results[0].state, 'error');
      // A path with no berth at all says so.
      const none = await runner.run(
        ['matrix', '--on', 'slurm', '--backend', 'chroot', '--berth-path', '/nonexistent/berth', '--', 'true'],
        { env: cluster!.env, cwd: dir, timeoutMs: 120_000 },
      );
      assert.equal(none.code, 1);
      assert.match(none.stdout, /ERROR: no berth on node n[12] at \/nonexistent\/berth/);
      // Bad Slurm input is berth's own error, before anything is submitted.
      const bad = await runner.run(['matrix', '--on', 'slurm', '--backend', 'chroot', '--time', 'soon', '--', 'true'], {
        env: cluster!.env,
        cwd: dir,
      });
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /--time "soon" is not a Slurm time limit/);
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

/** The pid of a descendant of PID whose command line mentions NEEDLE (berth under runuser). */
function descendantRunning(pid: number, needle: string): number {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle) && p !== pid) return p;
    } catch {
      /* gone */
    }
    queue.push(...children(p));
  }
  throw new Error(`no process mentioning ${needle} below ${pid}`);
}
