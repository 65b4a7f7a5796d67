/** Network problems of a spec on a shim backend, found without side effects. */
import type { Problem } from '../driver.js';
import type { EnvSpec } from '../../core/spec.js';
import { parseNetworkMode, type NetworkMode } from '../../network/network-mode.js';

/** Modes every shim backend (chroot, container) offers; a network's name means a bridge network. */
export const SHIM_NETWORK_MODES = ['none', 'host', 'user', 'bridge', 'NAME (berth network create)'];

export function networkProblems(spec: EnvSpec, rootless: boolean, backendDefault: 'none' | 'host'): Problem[] {
  let mode: NetworkMode;
  try {
    mode = parseNetworkMode(spec.network, backendDefault);
  } catch (e) {
    return [{ field: 'network', message: (e as Error).message, fix: (e as { fix?: string }).fix ?? '' }];
  }
  const problems: Problem[] = [];
  if (spec.ports.length > 0 && (mode.kind === 'none' || mode.kind === 'host')) {
    problems.push({
      field: 'publish',
      message: `-p needs a network of the environment's own, and --network is ${mode.kind}`,
      fix: mode.kind === 'host' ? 'with --network host the command binds host ports itself: drop -p' : 'add --network user, --network bridge or --network NAME',
    });
  }
  if (mode.kind === 'bridge' && rootless) {
    problems.push({ field: 'network', message: `--network ${mode.network} (a bridge) needs root`, fix: 'use --network user as a normal user' });
  }
  return problems;
}
