/**
 * `berth doctor` within one boot: a verdict whose input changed (here: which newuidmap/newgidmap
 * the user's PATH finds) is redone without --refresh; a cached real try is reused while its
 * inputs stay the same, and `--refresh` redoes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, isRoot, type Mode, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

interface Report {
  backends: {
    name: string;
    probe: { ok: boolean; details: Record<string, string> };
    capabilities: { knownLimits?: string[] };
  }[];
}

async function doctor(r: Runner, args: string[] = [], env: Record<string, string> = {}): Promise<Report> {
  const res = await r.run(['doctor', '--json', ...args], { env });
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as Report;
}

const details = (rep: Report, backend: string) => rep.backends.find((b) => b.name === backend)!.probe.details;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

test('doctor sees newuidmap/newgidmap change within a boot without --refresh (berth-test)', {
  timeout: 120_000,
}, async (t) => {
  if (!requireThat(t, isRoot(), 'root (runs berth as the test user it creates)')) return;
  const runner = makeRunner('rootless');
  const bin = mkdtempSync(join(tmpdir(), 'berth-doctor-path-'));
  chmodSync(bin, 0o755);
  try {
    // First the user's PATH finds copies without the setuid bit (as if another package put them there).
    for (const tool of ['newuidmap', 'newgidmap']) {
      copyFileSync(`/usr/bin/${tool}`, join(bin, tool));
      chmodSync(join(bin, tool), 0o755);
    }
    const env = { PATH: `${bin}:${SYSTEM_PATH}` };
    const before = details(await doctor(runner, [], env), 'chroot');
    assert.match(before.subids!, /not setuid/, JSON.stringify(before));
    // They go away: the same PATH now finds the system's setuid helpers, and doctor says so at once.
    rmSync(join(bin, 'newuidmap'));
    rmSync(join(bin, 'newgidmap'));
    const after = details(await doctor(runner, [], env), 'chroot');
    assert.doesNotMatch(after.subids!, /not setuid/, JSON.stringify(after));
    assert.match(after.subids!, /newuidmap\/newgidmap setuid \(\/usr\/bin\/newuidmap/, JSON.stringify(after));
  } finally {
    rmSync(bin, { recursive: true, force: true });
    runner.cleanup();
  }
});

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`doctor reuses a cached real try while its inputs are unchanged; --refresh redoes it (${mode})`, {
    timeout: 120_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (runs berth as root and as the test user it creates)')) return;
    const runner = makeRunner(mode);
    try {
      const rep = await doctor(runner);
      // uml's kernel fault (issue 17.4, ADR 0059) is listed, as the other backends have none.
      const limits = (b: string) => rep.backends.find((x) => x.name === b)?.capabilities.knownLimits ?? [];
      assert.match(limits('uml').join(' '), /signal .*SIGALRM.*sendall/);
      assert.deepEqual(limits('container'), []);
      const first = details(rep, 'container');
      assert.match(first.namespaces!, /namespaces work/, JSON.stringify(first));
      // Plant a different verdict under the same inputs: doctor shows it (it was not tried again) ...
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const file = join(runner.root, 'run', `probes-${boot}.json`);
      const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { value: { detail: string } }>;
      const key = Object.keys(cache).find((k) => k.startsWith('container-ns-'));
      assert.ok(key, `a cached namespace try in ${Object.keys(cache).join(', ')}`);
      cache[key]!.value.detail = 'planted by the test';
      writeFileSync(file, JSON.stringify(cache));
      assert.equal(details(await doctor(runner), 'container').namespaces, 'planted by the test');
      // ... until --refresh tries again.
      const refreshed = details(await doctor(runner, ['--refresh']), 'container');
      assert.match(refreshed.namespaces!, /namespaces work/, JSON.stringify(refreshed));
    } finally {
      runner.cleanup();
    }
  });
}
