/** The library API as a test author uses it: create, exec, logs, inspect, dispose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';
import { REPO } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

test('await using: create, exec, logs, inspect, then nothing left', { timeout: 60_000 }, async (t) => {
  // As a normal user this runs rootless; as root, rootful. Either way it needs the built shim.
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  const root = mkdtempSync(join(tmpdir(), 'berth-lib-'));
  try {
    let id = '';
    {
      await using env = await berth.create({
        root,
        backend: 'chroot',
        command: ['sh', '-c', 'echo ready; echo oops >&2; sleep 600'],
      });
      id = env.id;
      assert.equal(env.backend, 'chroot');
      assert.equal(env.status().state, 'running');
      assert.equal((await env.exec(['sh', '-c', 'exit 3'])).exitCode, 3);
      assert.equal((await env.exec(['true'])).exitCode, 0);
      const lines: string[] = [];
      for (let i = 0; i < 50 && lines.length < 2; i++) {
        lines.length = 0;
        for await (const r of env.logs()) lines.push(`${r.stream}:${r.text}`);
        if (lines.length < 2) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(lines.sort(), ['stderr:oops', 'stdout:ready']);
      const info = berth.inspect(env.name, { root });
      assert.equal(info.capabilities.isolation, 'filesystem');
      assert.match(info.capabilities.summary, /filesystem only/);
      assert.equal(info.record.choice.chosen, 'chroot');
      assert.equal(berth.list({ root }).length, 1);
    }
    // Disposed: removed with everything it had.
    assert.equal(existsSync(join(root, 'envs', id)), false);
    assert.deepEqual(readdirSync(join(root, 'envs')), []);
    assert.equal(berth.list({ root, all: true }).length, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('typed errors carry a code, a fix and exit status 125', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-lib-'));
  try {
    await assert.rejects(berth.create({ root, backend: 'chroot', image: '127.0.0.1:9/nope:1' }), (e: unknown) => {
      assert.ok(e instanceof berth.ImageError);
      assert.equal(e.code, 'registry-unreachable');
      assert.equal(e.exitCode, 125);
      assert.ok(e.fix);
      return true;
    });
    await assert.rejects(
      berth.create({ root, backend: 'microvm', limits: { memoryBytes: 1 << 25 } }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'unsupported-memory',
    );
    await assert.rejects(
      berth.create({ root, backend: 'uml', limits: { cpus: 2 } }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'unsupported-cpus',
    );
    await assert.rejects(
      berth.create({ root, backend: 'chroot', limits: { memoryBytes: 1 << 26 } }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'unsupported-memory',
    );
    assert.deepEqual(existsSync(join(root, 'envs')) ? readdirSync(join(root, 'envs')) : [], []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('backends() and doctor() say which backends work and why not', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-lib-'));
  try {
    const list = await berth.backends({ root });
    assert.deepEqual(
      list.map((b) => b.name),
      ['microvm', 'uml', 'container', 'chroot'],
    );
    // The test host has user-mode-linux, qemu and the kernels' packages (.ci/run installs them).
    for (const b of list) assert.equal(b.probe.ok, true, `${b.name}: ${b.probe.reason}`);
    const report = await berth.doctor({ root });
    // auto: a microvm where KVM works, else a container (uml and TCG microvm only with --isolation kernel).
    assert.equal(report.autoChoice, existsSync('/dev/kvm') ? report.autoChoice : 'container');
    assert.ok(['microvm', 'container'].includes(report.autoChoice ?? ''), String(report.autoChoice));
    assert.ok(['microvm (KVM)', 'uml'].includes(report.kernelChoice), report.kernelChoice);
    for (const k of ['kernel', 'userns', 'overlayfs', 'cgroups', 'kvm']) assert.ok(report.host[k], `host finding ${k}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
