/** Issue 16 item 2: no uml kernel cached or installed is no reason to refuse the backend: it is fetched on first use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { probeUml } from '../../../src/drivers/uml/uml-probe.js';
import { resolvePaths } from '../../../src/core/paths.js';

test('uml probe: with no kernel here the kernel is fetched on first use, not a refusal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-uml-probe-'));
  const saved = process.env.BERTH_UML_KERNEL;
  delete process.env.BERTH_UML_KERNEL;
  try {
    const p = await probeUml(resolvePaths({ BERTH_ROOT: dir }), join(dir, 'no-linux.uml'));
    assert.match(String(p.details.kernel), /first use/);
    assert.doesNotMatch(p.reason, /kernel/, 'a missing kernel is not why uml would not work');
  } finally {
    if (saved !== undefined) process.env.BERTH_UML_KERNEL = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
