/**
 * Leak-proof sessions: a test process with 4 live environments is SIGKILLed; its reaper must remove
 * them all (processes, state, mounts, cgroups) within 10 s. As root and as the unprivileged user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, packageDir, storedEnvs, mountsMentioning, type Mode } from '../../helpers/berth-cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function script(dir: string): string {
  const file = join(dir, 'session.mjs');
  writeFileSync(
    file,
    `
import * as berth from ${JSON.stringify(join(packageDir(), 'dist', 'index.mjs'))};
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

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`SIGKILL of a test process with 4 live environments leaves nothing (${mode})`, {
    timeout: 120_000,
  }, async () => {
    const runner = makeRunner(mode);
    const dir = mkdtempSync(join(tmpdir(), 'berth-session-'));
    try {
      const child = runner.hostSpawn(process.execPath, [script(dir)]);
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
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
