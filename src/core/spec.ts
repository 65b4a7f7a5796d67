/** The environment spec: what the user asked for, independent of the backend. */
import type { PortMapping } from './port-format.js';
import type { PullPolicy } from './pull-policy.js';
import type { AccelRequest } from './accel.js';
export type BackendName = 'chroot' | 'container' | 'uml' | 'microvm';
export const BACKEND_NAMES: readonly BackendName[] = ['microvm', 'uml', 'container', 'chroot'];

/** Isolation levels, weakest first. */
export type IsolationLevel = 'filesystem' | 'namespaces' | 'kernel';
export const ISOLATION_ORDER: readonly IsolationLevel[] = ['filesystem', 'namespaces', 'kernel'];

export interface Mount {
  source: string; // absolute host path
  target: string; // absolute path inside the environment
  readOnly: boolean;
}

export interface Limits {
  memoryBytes?: number;
  cpus?: number;
  pidsLimit?: number;
}

export interface EnvSpec {
  image: string; // image reference; 'busybox' is the builtin default
  command: string[]; // empty = image default
  /** Replaces the image's ENTRYPOINT and drops its CMD (--entrypoint); [] clears it. Absent: the image's. */
  entrypoint?: string[];
  backend: BackendName | 'auto';
  isolation?: IsolationLevel; // minimum isolation the user accepts
  name?: string;
  hostname?: string;
  env: Record<string, string>;
  workdir?: string;
  user?: string; // "uid[:gid]" or a name from the image's /etc/passwd
  mounts: Mount[];
  limits: Limits;
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  autoRemove: boolean;
  labels: Record<string, string>;
  /** Security options (container backend): capabilities added/dropped, seccomp, privileged. */
  security: SecurityOptions;
  /** Registries to speak plain http to (loopback ones always are). */
  insecureRegistries: string[];
  /** `--pull`: always = fetch (registry) or rebuild (debian:) the image even when stored; missing (absent) = fetch what is not stored (image, VM kernel); never = refuse instead. */
  pull?: PullPolicy;
  /** Root disk size (uml, microvm): at least what the image's files need. Default: the base disk's size. */
  diskSizeBytes?: number;
  /** Run even when a requested limit cannot be enforced on this host. */
  ignoreUnenforced: boolean;
  /** VM backends: a kernel manifest name (`berth kernels`) or a path to a kernel file; default the backend's own. */
  kernel?: string;
  /**
   * --network: none (loopback only), host, user (pasta/slirp4netns), bridge, or a network's
   * name. Absent: -p's or the backend's default (container: none, chroot: host), applied once
   * by resolved-spec.ts; later layers read `resolved.network`.
   */
  network?: string;
  /** -p: host ports published to the environment. */
  ports: PortMapping[];
  /** microvm: QEMU accelerator; auto = KVM when a boot probe says it works, else TCG. */
  accel?: AccelRequest;
  /** Start from this template (`berth template create`; docs/templates.md) instead of the image alone. */
  template?: string;
  /** Run in an idle member of this warm pool (`berth pool create`; docs/pools.md) instead of a new boot. */
  pool?: string;
}

export interface SecurityOptions {
  capAdd: string[];
  capDrop: string[];
  seccomp: 'default' | 'unconfined';
  privileged: boolean;
}

export function defaultSpec(partial: Partial<EnvSpec> = {}): EnvSpec {
  return {
    image: 'busybox',
    command: [],
    backend: 'auto',
    env: {},
    mounts: [],
    limits: {},
    tty: false,
    interactive: false,
    detach: false,
    autoRemove: false,
    labels: {},
    security: { capAdd: [], capDrop: [], seccomp: 'default', privileged: false },
    ignoreUnenforced: false,
    insecureRegistries: [],
    ports: [],
    ...partial,
  };
}
