/**
 * Leak-proof sessions: a test process with 4 live environments is SIGKILLed; its reaper must remove
 * them all (processes, state, mounts, cgroups) within 10 s. As root and as the unprivileged user.
 * The reaper is two-stage (ADR 0070): the native waiter starts `berth __reap` only when the session
 * did not end with every environment removed; a hook in NODE_OPTIONS marks each such start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  REPO,
  isRoot,
  makeRunner,
  packageDir,
  storedEnvs,
  mountsMentioning,
  type Mode,
} from '../../helpers/berth-cli.js';
import { TEST_USER, ensureTestUser } from '../../helpers/test-user.js';
import { requireThat } from '../../helpers/requirements.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session script: MODE 'kill' makes 4 live environments (after one made and removed), 'clean' one made and removed. */
function script(dir: string): string {
  const file = join(dir, 'session.mjs');
  const marks = join(dir, 'marks');
  mkdirSync(marks, { mode: 0o777 });
  chmodSync(marks, 0o777);
  const hook = join(dir, 'mark-reap.cjs');
  // Each `berth __reap` start leaves a file: the waiter exec'd the full reaper.
  writeFileSync(
    hook,
    `if (process.argv[2] === '__reap') require('node:fs').writeFileSync(${JSON.stringify(marks)} + '/reap-' + process.pid, '');\n`,
  );
  chmodSync(hook, 0o644);
  writeFileSync(
    file,
    `
import * as berth from ${JSON.stringify(join(packageDir(), 'dist', 'index.mjs'))};
process.env.NODE_OPTIONS = '--require ${hook}';
// First one made and removed: the session said '0', then '1' again before the next.
const first = await berth.create({ backend: 'chroot', command: ['sleep', '600'] });
await first.remove();
if (process.argv[2] === 'clean') {
  process.stdout.write('clean ' + berth.sessionId() + '\\n');
  process.exit(0);
}
const envs = [];
for (const backend of ['chroot', 'chroot', 'container', 'container']) {
  envs.push(await berth.create({ backend, command: ['sleep', '600'] }));
}
process.stdout.write('ready ' + berth.sessionId() + ' ' + envs.map((e) => e.id).join(',') + '\\n');
setInterval(() => {}, 1000);
`,
  );
  chmodSync(dir, 0o755);
  chmodSync(file, 0o644);
  return file;
}

/** Pids of processes whose argv mentions TEXT. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

const reapStarts = (dir: string) => readdirSync(join(dir, 'marks')).filter((f) => f.startsWith('reap-'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cgroupDirsOf(id: string): string[] {
  const out: string[] = [];
  for (const c of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    const p = join('/sys/fs/cgroup', c, 'berth', id);
    if (existsSync(p)) out.push(p);
  }
  return out;
}

/**
 * A session that made one environment and removed it, then exited: the pids of any `berth __reap`
 * it caused (none is right). Runs beside the kill test, in its store, to cost no wall time of its own.
 */
async function cleanSessionReapStarts(runner: ReturnType<typeof makeRunner>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-session-'));
  try {
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = runner.hostSpawn(process.execPath, [script(dir), 'clean']);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      child.stderr!.on('data', (d: Buffer) => (err += d));
      child.once('exit', (code) => resolve({ code, out, err }));
    });
    assert.equal(r.code, 0, r.err);
    const session = /^clean (\w+)$/m.exec(r.out)?.[1];
    assert.ok(session, r.out);
    // The waiter and a reaper it would exec both carry the session id in their argv: once none
    // is left, whatever was started has run its hook.
    for (let i = 0; i < 100 && processesMentioning(session).length > 0; i++) await sleep(100);
    assert.deepEqual(processesMentioning(session), [], "the clean session's waiter ended");
    return reapStarts(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`SIGKILL of a test process with 4 live environments leaves nothing; a clean session starts no berth __reap (${mode})`, {
    timeout: 120_000,
  }, async () => {
    const runner = makeRunner(mode);
    const dir = mkdtempSync(join(tmpdir(), 'berth-session-'));
    try {
      const clean = cleanSessionReapStarts(runner);
      const child = runner.hostSpawn(process.execPath, [script(dir), 'kill']);
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d));
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`session script exited ${code}: ${err}`)));
      });
      const [, session, idList] = line.split(' ');
      const ids = idList!.split(',');
      assert.equal(ids.length, 4);
      const monitors = ids.map(
        (id) => JSON.parse(readFileSync(join(runner.root, 'envs', id, 'pids.json'), 'utf8')).monitor as number,
      );
      assert.ok(monitors.every(alive), 'the environments run before the kill');
      const rec = JSON.parse(readFileSync(join(runner.root, 'envs', ids[0]!, 'config.json'), 'utf8'));
      assert.equal(rec.spec.labels['berth.session'], session);

      // runuser forwards nothing on SIGKILL: kill the node process itself.
      const nodePid =
        mode === 'root'
          ? child.pid!
          : Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
      process.kill(nodePid, 'SIGKILL');
      let left: string[] = [];
      for (let i = 0; i < 100; i++) {
        left = [
          ...storedEnvs(runner.root).map((e) => `state ${e}`),
          ...monitors.filter(alive).map((p) => `monitor ${p}`),
          ...mountsMentioning(runner.root),
          ...ids.flatMap(cgroupDirsOf),
        ];
        if (left.length === 0) break;
        await sleep(100);
      }
      assert.deepEqual(left, [], 'within 10 s the reaper removed everything of the session');
      assert.equal(reapStarts(dir).length, 1, 'the waiter started berth __reap once');
      assert.deepEqual(await clean, [], 'a session that removed all it made started no berth __reap');
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** berth-shim reap-wait alone: which last bytes make it exec its command (a file-writing sh). */
for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`berth-shim reap-wait execs its command unless the last byte was '0' (${mode})`, async (t) => {
    if (!requireThat(t, isRoot(), 'root (the rootless case runs as the test user through runuser)')) return;
    if (mode === 'rootless') ensureTestUser();
    const dir = mkdtempSync(join(tmpdir(), 'berth-reap-wait-'));
    chmodSync(dir, 0o777);
    const shim = join(REPO, 'native', 'bin', 'berth-shim');
    try {
      const cases: [string, boolean][] = [
        ['', true],
        ['1', true],
        ['10', false],
        ['1101', true],
        ['110', false],
      ];
      for (const [i, [sent, runs]] of cases.entries()) {
        const mark = join(dir, `ran-${i}`);
        const argv = [shim, 'reap-wait', '--', '/bin/sh', '-c', `cat >/dev/null; touch ${mark}`];
        const [cmd, ...args] = mode === 'root' ? argv : ['runuser', '-u', TEST_USER, '--', ...argv];
        const child = spawn(cmd!, args, { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.on('data', (d: Buffer) => (err += d));
        for (const b of sent) child.stdin!.write(b);
        child.stdin!.end();
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        assert.equal(code, 0, err);
        assert.equal(existsSync(mark), runs, `after "${sent}" the command ${runs ? 'runs' : 'does not run'}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
