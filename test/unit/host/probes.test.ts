import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cached, cacheFile, clearProbeCache } from '../../../src/host/probe-cache.js';
import { probeAll } from '../../../src/host/probes/index.js';
import { probeKvm } from '../../../src/host/probes/kvm.js';
import { criuCheckReason } from '../../../src/host/probes/criu.js';
import { probeTool } from '../../../src/host/probes/tools.js';

test('cached: computes once per boot, reuses, tolerates corruption, drops older boots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-probe-cache-'));
  try {
    const boot = '11111111-2222-3333-4444-555555555555';
    let calls = 0;
    const fn = async () => ({ ok: true, detail: `call ${++calls}` });
    assert.deepEqual(await cached(dir, 'k', {}, fn, boot), { ok: true, detail: 'call 1' });
    assert.deepEqual(await cached(dir, 'k', {}, fn, boot), { ok: true, detail: 'call 1' });
    assert.equal(calls, 1);
    assert.deepEqual(await cached(dir, 'other', {}, async () => 42, boot), 42);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(cacheFile(dir, boot), 'utf8'))).sort(), ['k', 'other']);

    writeFileSync(cacheFile(dir, boot), '{ not json');
    assert.deepEqual(await cached(dir, 'k', {}, fn, boot), { ok: true, detail: 'call 2' });
    assert.deepEqual(await cached(dir, 'k', {}, fn, boot), { ok: true, detail: 'call 2' });

    // A new boot: recomputed, and the previous boot's file removed. No temp files remain.
    const boot2 = 'aaaaaaaa-2222-3333-4444-555555555555';
    assert.deepEqual(await cached(dir, 'k', {}, fn, boot2), { ok: true, detail: 'call 3' });
    assert.deepEqual(readdirSync(dir), [`probes-${boot2}.json`]);

    // A rejection is passed on and not cached.
    await assert.rejects(
      cached(
        dir,
        'bad',
        {},
        async () => {
          throw new Error('boom');
        },
        boot2,
      ),
      /boom/,
    );
    assert.equal(await cached(dir, 'bad', {}, async () => 'fine', boot2), 'fine');

    clearProbeCache(dir, boot2);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cached: an unwritable cache dir does not fail the caller', async () => {
  // A dir below a regular file cannot be created (ENOTDIR). Do not use a path under /proc here:
  // Node 20's mkdirSync(..., { recursive: true }) spins forever on /proc/<missing>.
  const dir = mkdtempSync(join(tmpdir(), 'berth-probe-cache-'));
  try {
    writeFileSync(join(dir, 'file'), '');
    const r = await cached(join(dir, 'file', 'sub'), 'k', {}, async () => 'v', '11111111-2222');
    assert.equal(r, 'v');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probes never throw and return well-formed findings', async () => {
  const all = await probeAll();
  for (const [k, f] of Object.entries(all)) {
    assert.equal(typeof f.ok, 'boolean', k);
    assert.equal(typeof f.detail, 'string', k);
    assert.ok(f.detail.length > 0, k);
  }
  assert.ok('cgroups' in all && 'userns' in all && 'tool:busybox' in all);
});

test('missing tool and absent device are ok:false with a reason', async () => {
  const t = await probeTool({ bin: 'berth-no-such-tool', pkg: 'berth-pkg' });
  assert.deepEqual(t, { ok: false, detail: 'not installed (apt-get install berth-pkg)' });
  const k = await probeKvm('/dev/berth-no-kvm');
  assert.equal(k.ok, false);
  assert.match(k.detail, /absent/);
});

test("criu check's first error line is the reason, without CRIU's source location", () => {
  const out =
    'Warn  (criu/net.c:3427): Unable to get tun network namespace\n' +
    'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n' +
    'Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n';
  assert.equal(criuCheckReason(out), 'vdso: Unexpected rt vDSO area bounds');
  assert.equal(criuCheckReason('Looks good.\n'), undefined);
});
