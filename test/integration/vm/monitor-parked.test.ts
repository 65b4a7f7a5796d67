/**
 * A parked VM monitor (src/drivers/vm/monitor-park.ts), as the real process `berth run` starts,
 * as root and as the unprivileged test user: it does nothing until "go", ends unused on end of
 * file or when its state directory is removed, and after "go" reads its config (here: none, so it
 * records why it failed). No VM is booted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEntry } from '../../../src/drivers/vm/vm-monitor-entry.js';
import { ensureTestUser } from '../../helpers/test-user.js';

const modes = process.getuid?.() === 0 ? (['root', 'berth-test'] as const) : (['self'] as const);

function parked(mode: string): { dir: string; done: Promise<number | null>; stdin: NodeJS.WritableStream } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-parked-'));
  let argv = [process.execPath, monitorEntry(), dir, '--parked'];
  if (mode === 'berth-test') {
    const u = ensureTestUser();
    chownSync(dir, u.uid, u.gid);
    argv = ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', ...argv];
  }
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'inherit'] });
  const done = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { dir, done, stdin: child.stdin! };
}

for (const mode of modes) {
  test(`parked monitor (${mode}): end of file ends it with nothing written`, async () => {
    const p = parked(mode);
    try {
      p.stdin.end();
      assert.equal(await p.done, 0);
      assert.deepEqual(readdirSync(p.dir), []);
    } finally {
      rmSync(p.dir, { recursive: true, force: true });
    }
  });

  test(`parked monitor (${mode}): its state directory removed, it ends unused`, async () => {
    const p = parked(mode);
    rmSync(p.dir, { recursive: true, force: true });
    assert.equal(await p.done, 0);
    p.stdin.end();
  });

  test(`parked monitor (${mode}): after "go" it reads its config`, async () => {
    const p = parked(mode);
    try {
      p.stdin.end('go\n');
      assert.equal(await p.done, 125);
      assert.ok(existsSync(join(p.dir, 'monitor.err')));
      assert.match(readFileSync(join(p.dir, 'monitor.err'), 'utf8'), /monitor\.json|ENOENT/);
    } finally {
      rmSync(p.dir, { recursive: true, force: true });
    }
  });
}
