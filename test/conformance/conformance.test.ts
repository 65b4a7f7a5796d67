/**
 * ONE conformance suite: the same checks against every backend, as root and as an unprivileged
 * user. A backend joins by being added to BACKENDS once its driver exists.
 */
import { describe, it, before, after } from 'node:test';
import { CHECKS } from './checks.js';
import { CONTAINER_CHECKS } from './container-checks.js';
import { makeRunner, isRoot, type Mode, type Runner } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';

const BACKENDS = (process.env.BERTH_TEST_BACKENDS ?? 'chroot,container').split(',').filter(Boolean);
const MODES: Mode[] = ['root', 'rootless'];

for (const backend of BACKENDS) {
  for (const mode of MODES) {
    describe(`conformance: ${backend} as ${mode === 'root' ? 'root' : 'an unprivileged user'}`, () => {
      // Both halves need root: one runs as root, the other creates the unprivileged test user.
      const missing = isRoot() ? undefined : 'root (the suite runs berth as root and as a test user it creates)';
      let runner: Runner;
      before(() => {
        if (!missing) runner = makeRunner(mode);
      });
      after(() => runner?.cleanup());
      for (const check of backend === 'container' ? [...CHECKS, ...CONTAINER_CHECKS] : CHECKS) {
        it(check.name, { timeout: 120_000 }, (t) => {
          if (!requireThat(t, !missing, missing ?? '')) return;
          return check.run(runner, backend);
        });
      }
    });
  }
}
