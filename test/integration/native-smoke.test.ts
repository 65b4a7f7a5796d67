/** The native shim's own smoke test (test/native/smoke.sh), as root and as an unprivileged user. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, isRoot } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';

for (const script of ['smoke.sh', 'container-smoke.sh', 'log-smoke.sh']) {
  test(`berth-shim ${script} passes as root and rootless`, { timeout: 300_000 }, (t) => {
    if (!requireThat(t, isRoot(), 'root (the smoke tests run the shim as root and as a user they create)')) return;
    const res = spawnSync('bash', [join(REPO, 'test', 'native', script)], { encoding: 'utf8' });
    const failed = res.stdout.split('\n').filter((l) => /^(not ok|FAIL)/.test(l));
    assert.equal(res.status, 0, `${failed.join('\n')}\n${res.stderr.slice(-2000)}`);
    assert.match(res.stdout, /passed/);
  });
}
