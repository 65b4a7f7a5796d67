/**
 * ONE conformance suite: the same checks against every backend, as root and as an unprivileged
 * user. Each backend's run is a test file of its own (N-conformance-BACKEND.test.ts; node --test
 * runs files in path order, so N puts the longest first), so that the test runner spreads the
 * backends over its slots instead of running them one after another.
 *
 * BERTH_TEST_BACKENDS=a,b limits the backends that run; BERTH_TEST_MODES=root or rootless runs one
 * mode (the other-Node passes split the two modes between two Node versions); BERTH_TEST_SUBSET=NAME
 * runs one subset of the checks (subset.ts). On uml and microvm, the checks about the guest alone
 * run in one mode each (guest-side.ts); every other check runs in both.
 */
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS, isVm, type Check } from './checks.js';
import { CONTAINER_CHECKS } from './container-checks.js';
import { UML_CHECKS } from './uml-checks.js';
import { MICROVM_CHECKS } from './microvm-checks.js';
import { VM_NETWORK_CHECKS } from './vm-network-checks.js';
import { subsetFilter } from './subset.js';
import { runsInMode } from './guest-side.js';
import { STATS_CHECKS } from './stats-checks.js';
import { IMAGE_CONFIG_CHECKS } from './image-config-checks.js';
import { LOG_CHECKS } from './log-checks.js';
import { LIFECYCLE_CHECKS } from './lifecycle-checks.js';
import { TEMPLATE_CHECKS } from './template-checks.js';
import { POOL_CHECKS } from './pool-checks.js';
import { SMALL_CHECKS } from './small-checks.js';
import { OOM_PAUSE_CHECKS } from './oom-pause-checks.js';
import { BIND_CHECKS } from './bind-checks.js';
import { CHANNEL_CHECKS } from './channel-checks.js';
import { COPY_PACE_CHECKS } from './copy-pace-checks.js';
import { RUN_DIR_CHECKS } from './run-dir-checks.js';
import { makeRunner, isRoot, storedEnvs, type Mode, type Runner } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';
import { testMirrorMissing } from '../helpers/test-mirror.js';
import { assertHostMountsKept, hostApiMounts } from '../helpers/host-mounts.js';
import { eventLoopWatch } from '../helpers/loop-watch.js';

const BACKENDS = (process.env.BERTH_TEST_BACKENDS ?? 'chroot,container,uml,microvm').split(',').filter(Boolean);
const MODES = (process.env.BERTH_TEST_MODES ?? 'root,rootless').split(',').filter(Boolean) as Mode[];
/**
 * The longest the event loop may stand still while the VM modes run side by side: a check's own
 * waits are 10 s and more. The pty check's spawnSync of a VM run stood 3-7 s; a run's end left a
 * 2 s stop while its store was removed synchronously (now cleanupAsync).
 */
const LOOP_STOP_LIMIT_MS = 3_000;
for (const m of MODES) if (m !== 'root' && m !== 'rootless') throw new Error(`BERTH_TEST_MODES: no such mode ${m}`);
const EXTRA: Record<string, Check[]> = {
  container: CONTAINER_CHECKS,
  uml: [...UML_CHECKS, ...VM_NETWORK_CHECKS],
  microvm: [...MICROVM_CHECKS, ...VM_NETWORK_CHECKS],
};
/** The checks every backend runs (then EXTRA's own). */
const COMMON = [
  ...CHECKS,
  ...STATS_CHECKS,
  ...IMAGE_CONFIG_CHECKS,
  ...LOG_CHECKS,
  ...LIFECYCLE_CHECKS,
  ...OOM_PAUSE_CHECKS,
  ...TEMPLATE_CHECKS,
  ...POOL_CHECKS,
  ...SMALL_CHECKS,
  ...BIND_CHECKS,
  ...CHANNEL_CHECKS,
  ...COPY_PACE_CHECKS,
  ...RUN_DIR_CHECKS,
];
const ALL = [...COMMON, ...Object.values(EXTRA).flat()];
// BERTH_TEST_SUBSET=NAME runs only that subset's checks (subset.ts), on every backend.
const inSubset = subsetFilter(process.env.BERTH_TEST_SUBSET, ALL);
// On a VM backend, a check about the guest alone runs in one of the two modes (guest-side.ts).
const runsIn = runsInMode(ALL, MODES);

/**
 * A check that fails half-way (a timeout, a failed assertion) leaves its environments and templates
 * behind; the next check would then fail on "state store should be empty" for a reason not its own.
 * Whatever the outcome, force-remove what is left, so one failure stays one failure.
 */
async function runIsolated(check: Check, r: Runner, backend: string): Promise<void> {
  try {
    await check.run(r, backend);
  } finally {
    const envs = storedEnvs(r.root);
    if (envs.length > 0) await r.run(['rm', '-f', ...envs], { timeoutMs: 120_000 }).catch(() => undefined);
    // Templates are directories of <store>/templates (a build in progress is a dot-directory).
    const dir = join(r.root, 'templates');
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
    if (names.length > 0) await r.run(['template', 'rm', '-f', ...names]).catch(() => undefined);
    // Pools too (a refill may still be booting a member: pool rm ends it).
    const pools = join(r.root, 'pools');
    const poolNames = existsSync(pools) ? readdirSync(pools).filter((n) => !n.startsWith('.')) : [];
    if (poolNames.length > 0)
      await r.run(['pool', 'rm', '-f', ...poolNames], { timeoutMs: 120_000 }).catch(() => undefined);
  }
}

/** The conformance suite of one backend (nothing when BERTH_TEST_BACKENDS leaves it out). */
export function conformanceSuite(backend: string): void {
  if (!BACKENDS.includes(backend)) return;
  // A VM boots for seconds: its two modes (separate stores) run side by side.
  describe(`conformance: ${backend}`, { concurrency: isVm(backend) ? MODES.length : 1 }, () => {
    const hostMounts = hostApiMounts();
    after(() => assertHostMountsKept(hostMounts, `the ${backend} suite`));
    // Side by side, one mode's synchronous call stops the other's timers and sockets.
    if (isVm(backend)) {
      const loop = eventLoopWatch();
      after(() => {
        const worst = loop.longest();
        assert.ok(
          !worst || worst.ms < LOOP_STOP_LIMIT_MS,
          `the test process's event loop stood still ${worst?.ms} ms (until ${worst?.endedAt.toISOString()}): a synchronous call in a check stops the other mode's checks`,
        );
      });
    }
    for (const mode of MODES) {
      describe(`conformance: ${backend} as ${mode === 'root' ? 'root' : 'an unprivileged user'}`, {
        concurrency: 1,
      }, () => {
        // Both halves need root: one runs as root, the other creates the unprivileged test user.
        // A VM's store fetches its kernel, from the loopback mirror only (the network rule).
        const missing = !isRoot()
          ? 'root (the suite runs berth as root and as a test user it creates)'
          : isVm(backend)
            ? testMirrorMissing()
            : undefined;
        let runner: Runner;
        before(async () => {
          if (missing) return;
          runner = makeRunner(mode);
          // Each runner has its own store: fetch (download + verify) the kernel and build the base
          // disk once, up front, so that the first check's run does not carry a first use's minutes.
          if (isVm(backend))
            for (const args of [
              ['kernels', '--fetch', backend],
              ['disk', '-q', 'busybox'],
            ]) {
              const k = await runner.run(args, { timeoutMs: 900_000 });
              if (k.code !== 0) throw new Error(`berth ${args.join(' ')} failed: ${k.stderr}`);
            }
        });
        // Asynchronously: the other mode's checks run on meanwhile (a store's rm -rf takes seconds).
        after(() => runner?.cleanupAsync());
        for (const check of [...COMMON, ...(EXTRA[backend] ?? [])]
          .filter((c) => c.appliesTo?.(backend) ?? true)
          .filter(inSubset)
          .filter((c) => runsIn(c, backend, mode))) {
          it(check.name, { timeout: isVm(backend) ? 600_000 : 120_000 }, (t) => {
            if (!requireThat(t, !missing, missing ?? '')) return;
            return runIsolated(check, runner, backend);
          });
        }
      });
    }
  });
}
