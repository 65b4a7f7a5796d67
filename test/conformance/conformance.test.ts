/**
 * ONE conformance suite: the same checks against every backend, as root and as an unprivileged
 * user. A backend joins by being added to BACKENDS once its driver exists.
 */
import { describe, it, before, after } from 'node:test';
import { CHECKS, isVm, type Check } from './checks.js';
import { CONTAINER_CHECKS } from './container-checks.js';
import { UML_CHECKS } from './uml-checks.js';
import { MICROVM_CHECKS } from './microvm-checks.js';
import { VM_NETWORK_CHECKS } from './vm-network-checks.js';
import { subsetFilter } from './subset.js';
import { STATS_CHECKS } from './stats-checks.js';
import { IMAGE_CONFIG_CHECKS } from './image-config-checks.js';
import { LOG_CHECKS } from './log-checks.js';
import { LIFECYCLE_CHECKS } from './lifecycle-checks.js';
import { TEMPLATE_CHECKS } from './template-checks.js';
import { SMALL_CHECKS } from './small-checks.js';
import { OOM_PAUSE_CHECKS } from './oom-pause-checks.js';
import { BIND_CHECKS } from './bind-checks.js';
import { makeRunner, isRoot, type Mode, type Runner } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';
import { assertHostMountsKept, hostApiMounts } from '../helpers/host-mounts.js';

const BACKENDS = (process.env.BERTH_TEST_BACKENDS ?? 'chroot,container,uml,microvm').split(',').filter(Boolean);
const MODES: Mode[] = ['root', 'rootless'];
const EXTRA: Record<string, Check[]> = {
  container: CONTAINER_CHECKS,
  uml: [...UML_CHECKS, ...VM_NETWORK_CHECKS],
  microvm: [...MICROVM_CHECKS, ...VM_NETWORK_CHECKS],
};
// BERTH_TEST_SUBSET=NAME runs only that subset's checks (subset.ts), on every backend.
const inSubset = subsetFilter(process.env.BERTH_TEST_SUBSET, [
  ...CHECKS,
  ...LIFECYCLE_CHECKS,
  ...TEMPLATE_CHECKS,
  ...OOM_PAUSE_CHECKS,
  ...BIND_CHECKS,
  ...SMALL_CHECKS,
  ...Object.values(EXTRA).flat(),
]);

for (const backend of BACKENDS) {
  // A VM boots for seconds: its two modes (separate stores) run side by side.
  describe(`conformance: ${backend}`, { concurrency: isVm(backend) ? MODES.length : 1 }, () => {
    const hostMounts = hostApiMounts();
    after(() => assertHostMountsKept(hostMounts, `the ${backend} suite`));
    for (const mode of MODES) {
      describe(`conformance: ${backend} as ${mode === 'root' ? 'root' : 'an unprivileged user'}`, {
        concurrency: 1,
      }, () => {
        // Both halves need root: one runs as root, the other creates the unprivileged test user.
        const missing = isRoot() ? undefined : 'root (the suite runs berth as root and as a test user it creates)';
        let runner: Runner;
        before(async () => {
          if (missing) return;
          runner = makeRunner(mode);
          // Each runner has its own store: fetch (download + verify) the microvm kernel once, up front.
          if (backend === 'microvm') {
            const k = await runner.run(['kernels', '--fetch', 'microvm'], { timeoutMs: 900_000 });
            if (k.code !== 0) throw new Error(`fetching the microvm kernel failed: ${k.stderr}`);
          }
        });
        after(() => runner?.cleanup());
        for (const check of [
          ...CHECKS,
          ...STATS_CHECKS,
          ...IMAGE_CONFIG_CHECKS,
          ...LOG_CHECKS,
          ...LIFECYCLE_CHECKS,
          ...OOM_PAUSE_CHECKS,
          ...TEMPLATE_CHECKS,
          ...SMALL_CHECKS,
          ...BIND_CHECKS,
          ...(EXTRA[backend] ?? []),
        ]
          .filter((c) => c.appliesTo?.(backend) ?? true)
          .filter(inSubset)) {
          it(check.name, { timeout: isVm(backend) ? 600_000 : 120_000 }, (t) => {
            if (!requireThat(t, !missing, missing ?? '')) return;
            return check.run(runner, backend);
          });
        }
      });
    }
  });
}
