/**
 * `-p` without `--network`: the network that can publish, per backend and user, as Docker and
 * Podman publish on their default network. Root: the default bridge network (every backend
 * joins it); a normal user: user networking (pasta/slirp4netns, QEMU's or uml's slirp). The
 * only place this default is made; an explicit --network (none included) is never changed. Pure.
 */
import type { EnvSpec } from '../core/spec.js';
import { DEFAULT_BRIDGE } from './network-mode.js';

export interface PublishDefault {
  spec: EnvSpec;
  /** Why the network was filled in (recorded; `inspect` shows it), absent when it was not. */
  why?: string;
}

/** @param modes the backend's network modes (Capabilities.networkModes) */
export function withPublishNetwork(spec: EnvSpec, modes: readonly string[], rootless: boolean): PublishDefault {
  if (spec.network !== undefined || spec.ports.length === 0) return { spec };
  if (!rootless && modes.includes(DEFAULT_BRIDGE)) {
    return {
      spec: { ...spec, network: DEFAULT_BRIDGE },
      why: `${DEFAULT_BRIDGE}: -p was given without --network (as root the default bridge network publishes)`,
    };
  }
  if (modes.includes('user')) {
    return {
      spec: { ...spec, network: 'user' },
      why: 'user: -p was given without --network (as a normal user, user networking publishes)',
    };
  }
  return { spec };
}
