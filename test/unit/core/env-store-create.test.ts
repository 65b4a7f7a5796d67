import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvStore, type EnvRecord } from '../../../src/core/env-store.js';
import { resolvePaths } from '../../../src/core/paths.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function store(): EnvStore {
  const root = mkdtempSync(join(tmpdir(), 'berth-store-'));
  roots.push(root);
  return new EnvStore(resolvePaths({ BERTH_ROOT: root }, false));
}

test('an environment directory appears complete (record and state) under its id, nothing else is left', async () => {
  const s = store();
  const rec = await s.allocate(
    'web',
    (id, name) => ({ id, name, createdAt: new Date().toISOString() }) as unknown as EnvRecord,
  );
  assert.deepEqual(readdirSync(s.paths.envs), [rec.id]);
  assert.ok(existsSync(join(s.paths.envs, rec.id, 'config.json')));
  assert.equal(s.readState(rec.id)?.state, 'created');
});

test("creation dirs of a dead creator are swept by list(); a live creator's are kept and never listed", () => {
  const s = store();
  mkdirSync(s.paths.envs, { recursive: true });
  const dead = '.new-aaaa-2147483646';
  const live = `.new-bbbb-${process.pid}`;
  mkdirSync(join(s.paths.envs, dead));
  mkdirSync(join(s.paths.envs, live));
  assert.deepEqual(s.list(), []);
  assert.deepEqual(readdirSync(s.paths.envs), [live]);
  assert.deepEqual(s.orphans(), []);
});

test('a creator killed and not yet reaped (a zombie) does not keep its creation dir', async () => {
  const { spawn } = await import('node:child_process');
  // sh starts a short sleep, then becomes a long sleep that never reaps it: a zombie for 5 s.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = Number(
      await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))),
    );
    for (let i = 0; i < 200 && !readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /, 'the child is a zombie');
    const s = store();
    mkdirSync(s.paths.envs, { recursive: true });
    mkdirSync(join(s.paths.envs, `.new-cccc-${zombie}`));
    assert.deepEqual(s.list(), []);
    assert.deepEqual(readdirSync(s.paths.envs), [], "the zombie's creation dir is swept");
  } finally {
    parent.kill('SIGKILL');
  }
});
