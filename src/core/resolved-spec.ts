/**
 * The resolved spec: each option parsed and defaulted once, for the backend chosen, at the start
 * of the lifecycle (drivers/registry.ts, per backend it considers) and recorded with the spec in
 * config.json (docs/adr/0029). Every later layer (drivers, network attachment, capabilities, the
 * QEMU, uml and shim argv builders) reads `spec.resolved` and never parses or defaults again.
 * Records of older versions have no `resolved`: the state store resolves them when it reads them.
 * Pure.
 */
import type { BackendName, EnvSpec } from './spec.js';
import { DEFAULT_BRIDGE, parseNetworkMode, type NetworkMode } from './network-mode.js';
import { parseAccel, type AccelRequest } from './accel.js';

export const MiB = 1024 * 1024;

export interface ResolvedOptions {
  /** --network as a value: as given, else -p's default (root: bridge, a normal user: user), else the backend's. */
  network: NetworkMode;
  /** uml and microvm: the guest's RAM in MiB (--memory, else the backend's default); absent for the shim backends. */
  memoryMiB?: number;
  /** --accel, else auto (only microvm has an accelerator: core/spec-validate.ts refuses kvm and tcg elsewhere). */
  accel: AccelRequest;
}

export interface ResolvedSpec extends EnvSpec {
  resolved: ResolvedOptions;
}

/** The network an environment gets when neither --network nor -p is given: chroot shares the host's. */
export const BACKEND_NETWORK: Readonly<Record<BackendName, 'none' | 'host'>> = {
  chroot: 'host',
  container: 'none',
  uml: 'none',
  microvm: 'none',
};

/** The guest's RAM when --memory is not given (a uml guest only touches what it uses). */
export const VM_DEFAULT_MEMORY: Readonly<Partial<Record<BackendName, number>>> = {
  uml: 256 * MiB,
  microvm: 256 * MiB,
};

export interface Resolution {
  spec: ResolvedSpec;
  /** Why --network was filled in (-p without --network; recorded, `inspect` shows it), absent when it was not. */
  why?: string;
}

/**
 * `-p` without `--network` gets the network that can publish, as Docker and Podman publish on
 * their default network: as root the default bridge network (every backend joins it), as a
 * normal user user networking (pasta/slirp4netns, QEMU's or uml's slirp). An explicit --network
 * (none included) is never changed. The default is written into `spec.network` too, as older
 * versions recorded it. Throws a SpecError for a --network value that names nothing.
 */
export function resolveSpec(spec: EnvSpec, backend: BackendName, rootless: boolean): Resolution {
  let network = spec.network;
  let why: string | undefined;
  if (network === undefined && spec.ports.length > 0) {
    network = rootless ? 'user' : DEFAULT_BRIDGE;
    why = rootless
      ? 'user: -p was given without --network (as a normal user, user networking publishes)'
      : `${DEFAULT_BRIDGE}: -p was given without --network (as root the default bridge network publishes)`;
  }
  const resolved: ResolvedOptions = {
    network: parseNetworkMode(network ?? BACKEND_NETWORK[backend]),
    accel: parseAccel(spec.accel),
  };
  const memoryDefault = VM_DEFAULT_MEMORY[backend];
  if (memoryDefault !== undefined) resolved.memoryMiB = Math.floor((spec.limits.memoryBytes ?? memoryDefault) / MiB);
  return {
    spec: { ...spec, ...(network !== undefined ? { network } : {}), resolved },
    ...(why ? { why } : {}),
  };
}
