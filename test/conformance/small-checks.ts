/**
 * Issue 20.10's smaller items that concern every backend: a command that cannot start is one line
 * with a fix and Docker's exit code; --cpus above the host's CPUs is refused by name where --cpus is
 * honoured; a VM command takes thousands of arguments.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Check, assertNothingLeft, isVm } from './checks.js';

export const SMALL_CHECKS: Check[] = [
  {
    name: 'a detached command that cannot start (start-failed): exit 127 and one line with a fix',
    async run(r, b) {
      const res = await r.run(['run', '-d', '--backend', b, '--', '/no/such/command'], { timeoutMs: 300_000 });
      assert.equal(res.code, 127, res.stderr);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0]!, /^berth: .*\/no\/such\/command.*\(check the command is in the image/);
      await assertNothingLeft(r);
    },
  },
  {
    name: '--cpus above the host CPU count: one line, exit 125, nothing left',
    async run(r, b) {
      const cpus = availableParallelism() + 1;
      const res = await r.run(['run', '--rm', '--backend', b, '--cpus', String(cpus), '--', 'true']);
      assert.equal(res.code, 125, res.stderr);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      // uml and chroot do not honour --cpus at all: they say so instead.
      // A rootless container may have no cpu controller to write (cgroup v1): it says that first.
      const honoured = b === 'microvm' || (b === 'container' && r.mode === 'root');
      const tooMany = new RegExp(`--cpus ${cpus} is more than the ${cpus - 1} CPU`);
      if (honoured) assert.match(res.stderr, tooMany);
      else if (b === 'container') assert.match(res.stderr, new RegExp(`${tooMany.source}|cannot enforce --cpus`));
      else assert.match(res.stderr, /cannot enforce --cpus/);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'VM: a command with 10000 arguments runs',
    appliesTo: isVm,
    async run(r, b) {
      const many = Array.from({ length: 10_000 }, (_, i) => String(i));
      const res = await r.run(['run', '--rm', '--backend', b, '--', 'sh', '-c', 'echo $# ${10000}', 'sh', ...many], {
        timeoutMs: 300_000,
      });
      assert.equal(res.stdout, '10000 9999\n', res.stderr);
    },
  },
  {
    name: '-v ./dir:/x resolves the relative host path against the current directory',
    // microvm cannot share host directories yet (it refuses -v by name).
    appliesTo: (b) => b !== 'microvm',
    async run(r, b) {
      const cwd = mkdtempSync(join(tmpdir(), 'berth-relvol-'));
      try {
        mkdirSync(join(cwd, 'dir'));
        writeFileSync(join(cwd, 'dir', 'f'), 'relative\n');
        chmodSync(cwd, 0o755);
        const res = await r.run(['run', '--rm', '--backend', b, '-v', './dir:/x:ro', '--', 'cat', '/x/f'], {
          cwd,
          timeoutMs: 300_000,
        });
        assert.equal(res.stdout, 'relative\n', res.stderr);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  },
];
