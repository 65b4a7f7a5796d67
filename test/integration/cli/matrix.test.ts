/** `berth matrix`: a failing cell makes the run fail, the JUnit file parses, the failing cell's log is kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`matrix with one failing cell (${mode})`, { timeout: 120_000 }, async (t) => {
    if (
      !requireThat(
        t,
        spawnSync('python3', ['-c', 'import xml.dom.minidom']).status === 0,
        'python3 (parses the JUnit file)',
      )
    )
      return;
    const runner = makeRunner(mode);
    const dir = mkdtempSync(join(tmpdir(), 'berth-matrix-'));
    chmodSync(dir, 0o777);
    try {
      // In its own pid namespace (container) the script's pid is small: that cell fails; chroot shares the host's.
      writeFileSync(join(dir, 'check.sh'), '#!/bin/sh\necho "pid $$"\ntest $$ -gt 50\n', { mode: 0o755 });
      const cli = runner.argv([]).args.at(-1)!;
      const r = await runner.hostRun('sh', [
        '-c',
        'cd "$1" && shift && exec "$@"',
        'sh',
        dir,
        process.execPath,
        cli,
        'matrix',
        '--backend',
        'chroot,container',
        '--image',
        'busybox',
        '--junit',
        'report.xml',
        '--json',
        'report.json',
        '--',
        './check.sh',
      ]);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /chroot\s+busybox\s+-\s+passed/);
      assert.match(r.stdout, /container\s+busybox\s+-\s+FAILED \(exit 1\)/);
      assert.match(r.stdout, /1 passed, 1 failed, 0 unavailable/);
      const parsed = spawnSync(
        'python3',
        [
          '-c',
          'import sys,xml.dom.minidom as m; d=m.parse(sys.argv[1]); s=d.documentElement; print(s.getAttribute("tests"), s.getAttribute("failures"), len(d.getElementsByTagName("failure")))',
          join(dir, 'report.xml'),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(parsed.stdout.trim(), '2 1 1', parsed.stderr);
      const log = join(dir, 'berth-matrix-logs', 'container-busybox.log');
      assert.ok(existsSync(log), 'the failing cell log is kept');
      assert.match(readFileSync(log, 'utf8'), /^pid \d+\n$/);
      const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      assert.deepEqual(
        json.results.map((x: { state: string }) => x.state),
        ['passed', 'failed'],
      );
      // Nothing left of the cells.
      const ps = await runner.run(['ps', '-a', '-q']);
      assert.equal(ps.stdout.trim(), '');
      // Bad input is berth's own error.
      const bad = await runner.run(['matrix', '--backend', 'nope', '--', 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /unknown backend "nope"/);
    } finally {
      runner.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
