/**
 * Issue 20.8 and 20.9 on every backend: an OOM kill is reported by inspect (Docker's
 * State.OOMKilled) whether or not a CLI was attached; pausing a paused environment or unpausing a
 * running one is Docker's one-line refusal, exit 125, the state unchanged.
 */
import assert from 'node:assert/strict';
import type { Runner } from '../helpers/berth-cli.js';
import { type Check, assertNothingLeft, isVm, psJson } from './checks.js';

/** Memory small enough to exhaust cheaply, above each backend's floor. */
const SMALL_MEMORY: Record<string, string> = { container: '32m', uml: '64m', microvm: '96m' };
/** Holds all of its input in memory (no newline in /dev/zero): more than any SMALL_MEMORY. */
const ALLOCATE = 'head -c 300m /dev/zero | tail';
/**
 * In a VM the whole guest is short of memory, and a program that grows step by step makes the
 * guest kernel evict and refault its code pages for minutes before the OOM killer acts (seen on
 * CI: over 300 s in a VM). One read(2) of nearly all the guest's memory from /dev/zero fills it
 * inside the kernel, where no code page is needed, and is killed at once.
 */
const ALLOCATE_IN_VM =
  'n=$(awk "/MemTotal/ {print int(\\$2 / 1024) - 1}" /proc/meminfo); exec dd if=/dev/zero of=/dev/null bs=${n}M count=1';
/** A VM's first boot in a fresh store builds its base disk; under TCG on a loaded host that takes minutes. */
const slow = (b: string) => (isVm(b) ? 300_000 : 60_000);

async function inspectState(r: Runner, name: string): Promise<Record<string, unknown>> {
  const res = await r.run(['inspect', name]);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout)[0].State;
}

async function stateOf(r: Runner, name: string): Promise<string | undefined> {
  return (await psJson(r)).find((e) => e.name === name)?.status.state;
}

/** Exit 125 and one line starting with `berth: ` + TEXT. */
function refused(res: { code: number; stdout: string; stderr: string }, text: RegExp, what: string): void {
  assert.equal(res.code, 125, `${what}: ${res.stderr}`);
  assert.match(res.stderr, text, what);
  assert.equal(res.stderr.trim().split('\n').length, 1, `${what}: one line: ${res.stderr}`);
  assert.equal(res.stdout, '', what);
}

export const OOM_PAUSE_CHECKS: Check[] = [
  {
    name: 'OOM kills: inspect has State.OOMKilled, detached or attached, and the attached run says so',
    async run(r, b) {
      const memory = SMALL_MEMORY[b];
      if (!memory) {
        // chroot enforces no memory limit: no OOM kill is ever its command's own, so inspect says false.
        const d = await r.run(['run', '-d', '--backend', b, '--name', 'noom', '--', 'sh', '-c', 'exit 3']);
        assert.equal(d.code, 0, d.stderr);
        assert.equal((await r.run(['wait', 'noom'])).stdout, '3\n');
        assert.equal((await inspectState(r, 'noom')).OOMKilled, false);
        assert.equal((await r.run(['rm', 'noom'])).code, 0);
        await assertNothingLeft(r);
        return;
      }
      const detached = await r.run(
        [
          'run',
          '-d',
          '--backend',
          b,
          '--memory',
          memory,
          '--name',
          'oomd',
          '--',
          'sh',
          '-c',
          isVm(b) ? ALLOCATE_IN_VM : ALLOCATE,
        ],
        { timeoutMs: slow(b) },
      );
      if (b === 'container' && r.mode === 'rootless' && detached.code === 125) {
        // No writable memory cgroup for a normal user here: --memory is refused (container-checks.ts),
        // and an environment without one reports false.
        assert.match(detached.stderr, /cannot enforce --memory here/);
        const d = await r.run(['run', '-d', '--backend', b, '--name', 'noom', '--', 'sh', '-c', 'exit 3']);
        assert.equal(d.code, 0, d.stderr);
        assert.equal((await r.run(['wait', 'noom'])).stdout, '3\n');
        assert.equal((await inspectState(r, 'noom')).OOMKilled, false);
        assert.equal((await r.run(['rm', 'noom'])).code, 0);
        await assertNothingLeft(r);
        return;
      }
      assert.equal(detached.code, 0, detached.stderr);
      const w = await r.run(['wait', 'oomd'], { timeoutMs: slow(b) });
      if (w.stdout !== '137\n') {
        // Say how it ended, and leave the store empty for the next check.
        const how = JSON.stringify(await inspectState(r, 'oomd'));
        await r.run(['rm', '-f', 'oomd']);
        assert.fail(`the OOM-killed command should exit 137, got ${w.stdout.trim()}: ${how} ${w.stderr}`);
      }
      const st = await inspectState(r, 'oomd');
      assert.equal(st.OOMKilled, true, `a detached OOM kill: ${JSON.stringify(st)}`);
      assert.equal((st.exit as { oomKilled?: boolean }).oomKilled, true);
      assert.equal((await r.run(['rm', 'oomd'])).code, 0);

      // Attached: the run says so. On a VM the attached CLI reads the same exit record the monitor
      // wrote (vm-driver.ts wait), checked above; one boot less for each VM suite.
      if (!isVm(b)) {
        const attached = await r.run(
          ['run', '--backend', b, '--memory', memory, '--name', 'ooma', '--', 'sh', '-c', ALLOCATE],
          {
            timeoutMs: 60_000,
          },
        );
        assert.equal(attached.code, 137, attached.stderr);
        assert.match(attached.stderr, /the command was OOM killed \(exit 137\); raise --memory/);
        assert.equal((await inspectState(r, 'ooma')).OOMKilled, true);
        assert.equal((await r.run(['rm', 'ooma'])).code, 0);
      }
      await assertNothingLeft(r);
    },
  },
  {
    name: 'pause of a paused environment and unpause of a running one: one line, exit 125, state unchanged',
    async run(r, b) {
      const d = await r.run(
        ['run', '-d', '--backend', b, '--name', 'pp', '--', 'sh', '-c', 'while :; do sleep 1; done'],
        { timeoutMs: slow(b) },
      );
      assert.equal(d.code, 0, d.stderr);
      refused(await r.run(['unpause', 'pp']), /^berth: environment pp is not paused \(/, 'unpause of a running one');
      assert.equal(await stateOf(r, 'pp'), 'running');
      const p = await r.run(['pause', 'pp']);
      const cannot =
        b === 'chroot' || (b === 'container' && r.mode === 'rootless' && p.code !== 0)
          ? 'this backend (or this user) cannot pause'
          : undefined;
      if (cannot) {
        // chroot has nothing to freeze; a normal user without a writable cgroup neither.
        refused(p, /cannot pause environments|pause is not available|no cgroup to freeze/, cannot);
        assert.equal(await stateOf(r, 'pp'), 'running');
      } else {
        assert.equal(p.code, 0, p.stderr);
        refused(await r.run(['pause', 'pp']), /^berth: environment pp is already paused \(/, 'pause of a paused one');
        assert.equal(await stateOf(r, 'pp'), 'paused');
        assert.equal((await r.run(['unpause', 'pp'])).code, 0);
        refused(await r.run(['unpause', 'pp']), /^berth: environment pp is not paused \(/, 'a second unpause');
        assert.equal(await stateOf(r, 'pp'), 'running');
        // Still really running: an exec answers.
        const ex = await r.run(['exec', 'pp', '--', 'echo', 'alive'], { timeoutMs: slow(b) });
        assert.equal(ex.stdout, 'alive\n', ex.stderr);
      }
      // Ended without an OOM kill: inspect says false.
      assert.equal((await r.run(['kill', 'pp'])).code, 0);
      assert.equal((await r.run(['wait', 'pp'], { timeoutMs: slow(b) })).code, 0);
      assert.equal((await inspectState(r, 'pp')).OOMKilled, false);
      assert.equal((await r.run(['rm', 'pp'])).code, 0);
      await assertNothingLeft(r);
    },
  },
];
