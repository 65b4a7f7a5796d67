/**
 * Container checkpoints need CRIU (issue 13, item 4; docs/adr/0061). `doctor` says whether CRIU
 * works here, in CRIU's own words (`criu check`, run by the test itself, decides what it must say),
 * and `berth checkpoint`/`restore` of a running container give that reason on one line, exit 125,
 * and leave the container running and nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { makeRunner, isRoot, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { criuCheckReason } from '../../../src/host/probes/criu.js';

const criuInstalled = spawnSync('criu', ['--version']).status === 0;

/** What doctor must say of CRIU for this user, from CRIU itself. */
function expectedCriu(mode: Mode): RegExp {
  if (mode === 'rootless') return /^criu \S+ checkpoints processes only as root$/;
  const check = spawnSync('criu', ['check'], { encoding: 'utf8' });
  if (check.status === 0) return /^criu \S+: criu check passes on this kernel$/;
  const why = criuCheckReason(`${check.stderr}\n${check.stdout}`)!;
  return new RegExp(`does not work on this kernel \\(criu check: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`);
}

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`container checkpoint: doctor and the error say why CRIU cannot checkpoint here (${mode})`, {
    timeout: 180_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (runs berth as root and as the test user it creates)')) return;
    if (!requireThat(t, criuInstalled, 'criu (Debian package criu)')) return;
    const r = makeRunner(mode);
    try {
      const doc = await r.run(['doctor', '--json']);
      assert.equal(doc.code, 0, doc.stderr);
      const criu = (JSON.parse(doc.stdout) as { host: Record<string, { ok: boolean; detail: string }> }).host.criu;
      assert.ok(criu, 'doctor has a criu row');
      const expected = expectedCriu(mode);
      assert.match(criu.detail, expected);

      const run = await r.run([
        'run',
        '-d',
        '--name',
        'counter',
        '--backend',
        'container',
        'busybox',
        '--',
        'sleep',
        '300',
      ]);
      assert.equal(run.code, 0, run.stderr);
      for (const verb of ['checkpoint', 'restore']) {
        const res = await r.run([verb, 'counter', 'cp1']);
        assert.equal(res.code, 125, `${verb}: ${res.stderr}`);
        const lines = res.stderr.trim().split('\n');
        assert.equal(lines.length, 1, res.stderr);
        assert.match(lines[0]!, /the container backend cannot (checkpoint environments|restore checkpoints)/);
        if (!criu.ok) assert.ok(lines[0]!.includes(criu.detail), `${verb} names CRIU's reason: ${lines[0]}`);
      }
      // Still running afterwards.
      const ps = await r.run(['ps', '--format', 'json']);
      const envs = JSON.parse(ps.stdout) as { name: string; status: { state: string } }[];
      assert.deepEqual(
        envs.map((e) => [e.name, e.status.state]),
        [['counter', 'running']],
      );
    } finally {
      await r.run(['rm', '-f', 'counter']);
      r.cleanup();
    }
  });
}
