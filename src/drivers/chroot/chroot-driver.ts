/**
 * chroot backend: the image's layers under a private overlayfs, pivot_root into it, the
 * host's /proc and a read-only /sys. It isolates the filesystem only (and the hostname):
 * processes, network, users and resources are shared with the host, and berth says so.
 */
import type { Capabilities, Probe, Problem } from '../driver.js';
import type { ResolvedSpec } from '../../core/resolved-spec.js';
import type { ShimIsolation } from '../../host/shim-cmdline.js';
import { ShimDriver } from '../shim/shim-driver.js';
import { CHROOT_ISOLATION } from './chroot-cmdline.js';
import { probeChroot } from './chroot-probe.js';
import { networkProblems, SHIM_NETWORK_MODES } from '../common/network-validate.js';

const CAPABILITIES: Capabilities = {
  isolation: 'filesystem',
  separateKernel: false,
  rootless: true,
  exec: true,
  tty: true,
  pause: false,
  checkpoint: false,
  networkModes: SHIM_NETWORK_MODES,
  limits: { memory: false, cpus: false, pids: false },
  summary:
    'chroot isolates the filesystem only (a copy-on-write overlay root and its own hostname); ' +
    'processes, users, IPC and resources are shared with the host, and so is the network unless --network ' +
    'asks for a namespace of its own (none, user, bridge, NAME)',
};

export class ChrootDriver extends ShimDriver {
  readonly name = 'chroot' as const;

  probe(): Promise<Probe> {
    return probeChroot(this.store.paths.runtime);
  }

  capabilities(): Capabilities {
    return CAPABILITIES;
  }

  validate(spec: ResolvedSpec, rootless: boolean): Problem[] {
    const problems: Problem[] = networkProblems(spec, rootless);
    const fix = 'use --backend container, which enforces limits with cgroups';
    if (spec.limits.memoryBytes !== undefined)
      problems.push({ field: 'memory', message: 'the chroot backend cannot enforce --memory', fix });
    if (spec.limits.cpus !== undefined)
      problems.push({ field: 'cpus', message: 'the chroot backend cannot enforce --cpus', fix });
    if (spec.limits.pidsLimit !== undefined)
      problems.push({ field: 'pids-limit', message: 'the chroot backend cannot enforce --pids-limit', fix });
    if (spec.diskSizeBytes !== undefined)
      problems.push({
        field: 'disk-size',
        message: 'the chroot backend has no disk (--disk-size is for uml and microvm)',
        fix: 'drop --disk-size, or use --backend uml or microvm',
      });
    if (spec.kernel !== undefined)
      problems.push({
        field: 'kernel',
        message: 'the chroot backend runs on the host kernel: --kernel needs uml or microvm',
        fix: 'use --backend uml or microvm, or drop --kernel',
      });
    return problems;
  }

  protected isolation(): ShimIsolation {
    return CHROOT_ISOLATION;
  }
}
