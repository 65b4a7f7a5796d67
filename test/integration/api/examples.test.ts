/** The documented example test file passes on this host (every usable backend, as root). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO } from '../../helpers/berth-cli.js';

test('docs/examples/all-backends.test.mjs passes', { timeout: 300_000 }, () => {
  // A nested `node --test` reports in the parent runner's protocol unless NODE_TEST_CONTEXT is dropped.
  const root = mkdtempSync(join(tmpdir(), 'berth-example-'));
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_ROOT: root };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=tap', join(REPO, 'docs', 'examples', 'all-backends.test.mjs')],
    { cwd: REPO, encoding: 'utf8', env },
  );
  rmSync(root, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const pass = Number(/^# pass (\d+)/m.exec(r.stdout)?.[1] ?? 0);
  // "at least one backend" + one per usable backend; chroot and container work wherever these tests run.
  assert.ok(pass >= 3, r.stdout);
  assert.match(r.stdout, /\(chroot\)/);
  assert.match(r.stdout, /\(container\)/);
});
