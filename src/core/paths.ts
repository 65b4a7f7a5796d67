/**
 * Where berth keeps its state. Root: /var/lib/berth (data) and /run/berth (runtime).
 * A normal user: $XDG_DATA_HOME/berth (default ~/.local/share/berth) and
 * $XDG_RUNTIME_DIR/berth (or a 0700 dir under /tmp). BERTH_ROOT overrides both:
 * data in $BERTH_ROOT, runtime in $BERTH_ROOT/run. BERTH_STORE moves only what is built once
 * and then shared read-only (images, kernels) and their locks to another directory, e.g. one
 * that cluster nodes share (`matrix --on slurm --store`, ADR 0036); environments stay local.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Paths {
  data: string;
  runtime: string;
  envs: string;
  images: string;
  kernels: string;
  locks: string;
  /** Locks of what images/ and kernels/ hold: beside them when BERTH_STORE shares them between hosts. */
  storeLocks: string;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** root's default store (no BERTH_ROOT). */
export const SYSTEM_DATA_DIR = '/var/lib/berth';

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, root = isRoot()): Paths {
  let data: string;
  let runtime: string;
  if (env.BERTH_ROOT) {
    data = env.BERTH_ROOT;
    runtime = join(env.BERTH_ROOT, 'run');
  } else if (root) {
    data = SYSTEM_DATA_DIR;
    runtime = '/run/berth';
  } else {
    data = join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'berth');
    const uid = process.getuid?.() ?? 0;
    runtime = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'berth') : join('/tmp', `berth-${uid}`);
  }
  return storePaths(data, runtime, env.BERTH_STORE || undefined);
}

/**
 * Every path of a store from its data and runtime directories; `shared`: images, kernels and
 * their locks in a directory several hosts share (BERTH_STORE, ADR 0036).
 */
export function storePaths(data: string, runtime: string, shared?: string): Paths {
  return {
    data,
    runtime,
    envs: join(data, 'envs'),
    images: join(shared ?? data, 'images'),
    kernels: join(shared ?? data, 'kernels'),
    locks: join(runtime, 'locks'),
    storeLocks: shared ? join(shared, 'locks') : join(runtime, 'locks'),
  };
}
