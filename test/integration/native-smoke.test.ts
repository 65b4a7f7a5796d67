/** The native shim's own smoke test (test/native/smoke.sh), as root and as an unprivileged user. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, isRoot } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';

test('berth-shim smoke checks pass as root and rootless', { timeout: 300_000 }, (t) => {
  if (!requireThat(t, isRoot(), 'root (the smoke test runs the shim as root and as a user it creates)')) return;
  const res = spawnSync('bash', [join(REPO, 'test', 'native', 'smoke.sh')], { encoding: 'utf8', env: { ...process.env, BERTH_SHIM: join(REPO, 'native', 'bin', 'berth-shim') } });
  const failed = res.stdout.split('\n').filter((l) => l.startsWith('not ok') || l.startsWith('FAIL'));
  assert.equal(res.status, 0, `${failed.join('\n')}\n${res.stderr.slice(-2000)}`);
  assert.match(res.stdout, /all checks passed/);
});
