/**
 * `ps`, `stats` and `top` as Docker users expect them, on every backend (issue 16, item 9):
 * "Up N seconds", Docker's stats columns with CPU % and a memory limit (a VM's: its RAM), and the
 * environment's own processes (a VM's: the guest's, with its users).
 */
import assert from 'node:assert/strict';
import type { Runner } from '../helpers/berth-cli.js';
import { isVm, type Check } from './checks.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const VM_DEFAULT_MEMORY = 256 * 1024 * 1024;

/** `top NAME` once the command reached its sleep (bounded; not a timing assertion). */
async function topWhenSleeping(r: Runner, name: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const top = await r.run(['top', name], { timeoutMs: 120_000 });
    assert.equal(top.code, 0, top.stderr);
    last = top.stdout;
    if (/^\d+\s+\S+\s+sleep 1000$/m.test(last)) return last; // the sleep itself, not the sh -c line naming it
    await sleep(1000);
  }
  assert.fail(`top never showed "sleep 1000":\n${last}`);
}

export const STATS_CHECKS: Check[] = [
  {
    name: 'ps says "Up N seconds", stats prints Docker\'s columns with CPU %, top lists the environment\'s own processes',
    async run(r, b) {
      const d = await r.run(
        [
          'run',
          '-d',
          '--backend',
          b,
          '--name',
          'st',
          '--',
          'sh',
          '-c',
          'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000',
        ],
        { timeoutMs: 300_000 },
      );
      assert.equal(d.code, 0, d.stderr);
      try {
        const top = await topWhenSleeping(r, 'st');
        assert.match(top, /^PID\s+USER\s+COMMAND$/m);
        if (isVm(b)) {
          // The guest's processes (its pid 1 is the guest init) with the guest's user names, not the host's VM processes.
          assert.match(top, /^1\s+root\s+\S/m, top);
          assert.match(top, /^\d+\s+root\s+sleep 1000$/m, top);
          assert.doesNotMatch(top, /linux|qemu|vmlinux/i, top);
        }

        const ps = await r.run(['ps']);
        assert.equal(ps.code, 0, ps.stderr);
        assert.match(ps.stdout, /\bUp (Less than a second|\d+ seconds?|About a minute|\d+ minutes)$/m, ps.stdout);
        assert.doesNotMatch(ps.stdout, /Up since|\d{4}-\d\d-\d\dT/, ps.stdout);

        const js = await r.run(['stats', '--no-stream', '--format', 'json', 'st']);
        assert.equal(js.code, 0, js.stderr);
        const [s] = JSON.parse(js.stdout) as Record<string, unknown>[];
        assert.ok(s && (s.cpuUsageNs as number) > 0 && (s.memoryBytes as number) > 0, js.stdout);
        assert.equal(typeof s.cpuPercent, 'number', js.stdout);
        assert.equal(typeof s.readAtMs, 'number', js.stdout);
        if (isVm(b)) {
          assert.equal(s.memoryLimitBytes, VM_DEFAULT_MEMORY, "a VM's memory limit is its RAM");
          assert.ok(
            (s.memoryBytes as number) < 4 * VM_DEFAULT_MEMORY,
            `the VM's processes are not counted once per process: ${js.stdout}`,
          );
        } else {
          assert.ok((s.pids as number) >= 1, js.stdout);
        }

        // No name: every running environment, in Docker's columns.
        const table = await r.run(['stats', '--no-stream']);
        assert.equal(table.code, 0, table.stderr);
        assert.match(
          table.stdout,
          /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/m,
          table.stdout,
        );
        assert.match(
          table.stdout,
          /^[0-9a-f]{12}\s+st\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMG]i?B\s+\d+\.\d\d%/m,
          table.stdout,
        );
      } finally {
        await r.run(['rm', '-f', 'st'], { timeoutMs: 120_000 });
      }
      // Bad input: one line, exit 125.
      const gone = await r.run(['stats', '--no-stream', 'st']);
      assert.equal(gone.code, 125, gone.stdout + gone.stderr);
      assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
      assert.match(gone.stderr, /no such environment|st/);
    },
  },
];
