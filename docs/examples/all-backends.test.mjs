// One assertion on every backend this host can run: `node --test docs/examples/all-backends.test.mjs`.
// Each environment is removed at the end of its test; if this process is killed, the session
// reaper removes them. (In TypeScript, `await using env = ...` replaces the try/finally.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as berth from 'berth';

const usable = (await berth.backends()).filter((b) => b.probe.ok);

test('this host can run at least one backend', () => {
  assert.ok(usable.length > 0, 'see "berth doctor"');
});

for (const { name } of usable) {
  test(`the hostname we ask for is the one inside (${name})`, { timeout: 120_000 }, async () => {
    const env = await berth.create({ backend: name, image: 'busybox', hostname: 'probe', command: ['sleep', '600'] });
    try {
      const r = await env.exec(['hostname']);
      assert.deepEqual([r.exitCode, r.stdout.trim()], [0, 'probe']);
    } finally {
      await env.remove();
    }
  });
}
