/**
 * The refusals that follow from a backend's capabilities, in one place for every backend: a
 * limit it cannot enforce (unless --ignore-unenforced), --disk-size without a disk, --kernel
 * without a kernel of its own, --cpus above the host's CPUs where it is honoured. The fix names the
 * backends that can (`others`).
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../core/spec.js';
import type { ResolvedSpec } from '../core/resolved-spec.js';
import type { Capabilities, Problem } from './driver.js';

type Limit = keyof Capabilities['limits'];

/** Each limit: its flag and whether the spec asks for it. */
const LIMITS: Record<Limit, { flag: string; asked: (spec: ResolvedSpec) => boolean }> = {
  memory: { flag: 'memory', asked: (s) => s.limits.memoryBytes !== undefined },
  cpus: { flag: 'cpus', asked: (s) => s.limits.cpus !== undefined },
  pids: { flag: 'pids-limit', asked: (s) => s.limits.pidsLimit !== undefined },
};

export interface BackendFacts {
  name: BackendName;
  capabilities: Capabilities;
}

const either = (names: string[]) => names.join(' or ');

export function capabilityProblems(
  backend: BackendFacts,
  spec: ResolvedSpec,
  others: BackendFacts[],
  hostCpus = availableParallelism(),
): Problem[] {
  const { name, capabilities: caps } = backend;
  const problems: Problem[] = [];
  // As Docker: "Range of CPUs is from 0.01 to N, as there are only N CPUs available".
  const cpus = spec.limits.cpus;
  if (caps.limits.cpus && cpus !== undefined && cpus > hostCpus) {
    problems.push({
      field: 'cpus',
      message: `--cpus ${cpus} is more than the ${hostCpus} CPU(s) this host has`,
      fix: `give at most --cpus ${hostCpus}`,
    });
  }
  if (!spec.ignoreUnenforced) {
    for (const [limit, { flag, asked }] of Object.entries(LIMITS) as [Limit, (typeof LIMITS)[Limit]][]) {
      if (caps.limits[limit] || !asked(spec)) continue;
      const can = others.filter((o) => o.capabilities.limits[limit]).map((o) => o.name);
      problems.push({
        field: flag,
        message: `the ${name} backend cannot enforce --${flag}`,
        fix: `drop --${flag}, pass --ignore-unenforced${can.length > 0 ? `, or use --backend ${either(can)}` : ''}`,
      });
    }
  }
  const vms = either(others.filter((o) => o.capabilities.disk).map((o) => o.name));
  if (!caps.disk && spec.diskSizeBytes !== undefined) {
    problems.push({
      field: 'disk-size',
      message: `the ${name} backend has no disk (--disk-size is for ${vms})`,
      fix: `drop --disk-size, or use --backend ${vms}`,
    });
  }
  const kernels = either(others.filter((o) => o.capabilities.separateKernel).map((o) => o.name));
  if (!caps.separateKernel && spec.kernel !== undefined) {
    problems.push({
      field: 'kernel',
      message: `the ${name} backend shares the host kernel: --kernel needs ${kernels}`,
      fix: `use --backend ${kernels}, or drop --kernel`,
    });
  }
  return problems;
}
