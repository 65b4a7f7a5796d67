/**
 * Records written by older berth versions (docs/adr/0029): their config.json has no
 * `spec.resolved`. Running environments recorded that way still inspect (network, a VM's RAM),
 * report stats, exec, stop and rm, as root and as the unprivileged user, on container and uml.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { requireTestMirror } from '../../helpers/test-mirror.js';

const VM_MS = 300_000;

/** Rewrite an environment's record as versions before the resolved spec wrote it; returns what was removed. */
function writeAsOlderVersion(r: Runner, id: string): unknown {
  const file = join(r.root, 'envs', id, 'config.json');
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  const { resolved, ...spec } = rec.spec;
  // In place: the file keeps its owner (the test user's store stays the test user's).
  writeFileSync(file, `${JSON.stringify({ ...rec, spec }, null, 2)}\n`);
  return resolved;
}

// biome-ignore lint/suspicious/noExplicitAny: inspect output is untyped JSON; the test reads nested fields
async function inspect(r: Runner, name: string): Promise<Record<string, any>> {
  const i = await r.run(['inspect', name]);
  assert.equal(i.code, 0, i.stderr);
  return JSON.parse(i.stdout)[0];
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`records of older versions load (${mode})`, { concurrency: 1 }, () => {
    let r: Runner;
    before(() => {
      if (isRoot()) r = makeRunner(mode);
    });
    after(() => r?.cleanup());

    it('container: inspect, exec, stop and rm an environment recorded without spec.resolved', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      const run = await r.run(['run', '-d', '-q', '--backend', 'container', '--name', 'c1', 'busybox', 'sleep', '600']);
      assert.equal(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      assert.deepEqual(
        writeAsOlderVersion(r, id),
        { network: { kind: 'none' }, accel: 'auto' },
        'what is recorded now',
      );
      const i = await inspect(r, 'c1');
      assert.equal(i.Network.Mode, 'none');
      assert.equal(i.Network.Interface, 'lo');
      assert.equal(i.Config.resolved, undefined, "inspect's Config is what was asked");
      const exec = await r.run(['exec', 'c1', 'cat', '/proc/net/dev']);
      assert.equal(exec.code, 0, exec.stderr);
      assert.doesNotMatch(exec.stdout, /eth0|tap|veth/, 'still no interface but loopback');
      assert.equal((await r.run(['stop', '-t', '1', 'c1'])).code, 0);
      const rm = await r.run(['rm', 'c1']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(existsSync(join(r.root, 'envs', id)), false);
    });

    it('uml: its RAM (--memory 128m) is read back for inspect and stats; stop and rm work', {
      timeout: VM_MS,
    }, async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      if (!requireThat(t, existsSync('/usr/bin/linux.uml'), 'the user-mode-linux package (linux.uml)')) return;
      if (!requireTestMirror(t)) return; // the first uml run resolves its kernel against the mirror
      const run = await r.run(
        ['run', '-d', '-q', '--backend', 'uml', '--memory', '128m', '--name', 'u1', 'busybox', 'sleep', '600'],
        { timeoutMs: VM_MS },
      );
      assert.equal(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      assert.deepEqual(writeAsOlderVersion(r, id), { network: { kind: 'none' }, memoryMiB: 128, accel: 'auto' });
      const i = await inspect(r, 'u1');
      assert.match(i.Limits.memory, /linux\.uml mem=128M/);
      assert.equal(i.Network.Mode, 'none');
      const js = await r.run(['stats', '--no-stream', '--format', 'json', 'u1'], { timeoutMs: 60_000 });
      assert.equal(js.code, 0, js.stderr);
      assert.equal(JSON.parse(js.stdout)[0].memoryLimitBytes, 128 * 1024 * 1024, "a VM's memory limit is its RAM");
      const exec = await r.run(['exec', 'u1', 'sh', '-c', 'grep MemTotal /proc/meminfo'], { timeoutMs: 60_000 });
      assert.equal(exec.code, 0, exec.stderr);
      const kib = Number(/MemTotal:\s+(\d+) kB/.exec(exec.stdout)?.[1]);
      assert.ok(kib > 64 * 1024 && kib <= 128 * 1024, `the guest has its 128 MiB: ${exec.stdout}`);
      const rm = await r.run(['rm', '-f', 'u1'], { timeoutMs: 120_000 });
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(existsSync(join(r.root, 'envs', id)), false);
    });
  });
}
