/** The container backend's own refusals: network, capabilities, and limits this host's cgroups cannot enforce. */
import type { Problem } from '../driver.js';
import type { ResolvedSpec } from '../../core/resolved-spec.js';
import type { SpecError } from '../../core/errors.js';
import { effectiveCaps } from './capabilities-list.js';
import { readCgroupHost, planCgroups, type CgroupPlan } from '../../host/cgroups/index.js';
import { networkProblems } from '../common/network-validate.js';

export function validateContainer(spec: ResolvedSpec, rootless: boolean): Problem[] {
  const problems: Problem[] = networkProblems(spec, rootless);
  try {
    effectiveCaps(spec.security.capAdd, spec.security.capDrop);
  } catch (e) {
    problems.push({ field: 'cap', message: (e as SpecError).message, fix: (e as SpecError).fix ?? '' });
  }
  const wanted = spec.limits;
  if (wanted.memoryBytes === undefined && wanted.cpus === undefined && wanted.pidsLimit === undefined) return problems;
  let plan: CgroupPlan;
  try {
    plan = planCgroups(readCgroupHost(), 'validate', wanted);
  } catch (e) {
    problems.push({ field: 'limits', message: (e as Error).message, fix: (e as SpecError).fix ?? '' });
    return problems;
  }
  if (!spec.ignoreUnenforced) {
    for (const u of plan.unenforceable) {
      const flag = u.limit === 'memoryBytes' ? 'memory' : u.limit === 'pidsLimit' ? 'pids-limit' : 'cpus';
      problems.push({
        field: flag,
        message: `cannot enforce --${flag} here: ${u.reason}`,
        fix: 'run as root, delegate a cgroup v2 subtree to your user, or pass --ignore-unenforced',
      });
    }
  }
  return problems;
}
