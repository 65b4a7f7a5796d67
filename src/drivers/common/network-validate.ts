/** Network problems of a resolved spec on a shim or VM backend, found without side effects. */
import type { Problem } from '../driver.js';
import type { ResolvedSpec } from '../../core/resolved-spec.js';

/** Modes every shim backend (chroot, container) offers; a network's name means a bridge network. */
export const SHIM_NETWORK_MODES = ['none', 'host', 'user', 'bridge', 'NAME (berth network create)'];

/** The only place these rules are: -p needs a network of its own; a bridge needs root. */
export function networkProblems(spec: ResolvedSpec, rootless: boolean): Problem[] {
  const mode = spec.resolved.network;
  const problems: Problem[] = [];
  if (spec.ports.length > 0 && (mode.kind === 'none' || mode.kind === 'host')) {
    problems.push({
      field: 'publish',
      message: `-p needs a network of the environment's own, and --network is ${mode.kind}`,
      fix:
        mode.kind === 'host'
          ? 'with --network host the command binds host ports itself: drop -p'
          : 'add --network user, --network bridge or --network NAME',
    });
  }
  if (mode.kind === 'bridge' && rootless) {
    problems.push({
      field: 'network',
      message: `--network ${mode.network} (a bridge) needs root`,
      fix: 'use --network user as a normal user',
    });
  }
  return problems;
}

/** Modes the VM backends offer: the backend's own user-mode stack, or (root) a tap on a berth bridge. */
export const VM_NETWORK_MODES = ['none', 'user', 'bridge', 'NAME (berth network create)'];

export function vmNetworkProblems(spec: ResolvedSpec, rootless: boolean, backend: 'uml' | 'microvm'): Problem[] {
  // The one mode a guest cannot have; the rest is checked as for the shim backends.
  if (spec.resolved.network.kind === 'host') {
    return [
      {
        field: 'network',
        message: `a ${backend} guest runs its own kernel and cannot share the host's network (--network host)`,
        fix: 'use --network user, --network bridge (root) or --backend container',
      },
    ];
  }
  return networkProblems(spec, rootless);
}
