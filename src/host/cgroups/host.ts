/**
 * The host facts the planner needs, derived from the detected mounts (parseCgroupMounts /
 * detectCgroups) plus a few reads through an injectable IO, so the derivation is unit-testable.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { type CgroupMounts, parseCgroupMounts, parseProcCgroup } from '../probes/cgroups.js';

export interface CgroupHostV1 {
  mountPoint: string;
  controllers: string[];
  /** Berth may create cgroups here: root, and the mount is read-write. Rootless v1 is never writable. */
  writable: boolean;
  /** Why not writable, as a relative clause ("which only root can write"). */
  reason?: string;
}

export interface CgroupHostV2 {
  mountPoint: string;
  /** Where berth creates `berth/<id>`: the mount root for root, the user's delegated subtree otherwise. */
  base?: string;
  /** Why there is no base. */
  reason?: string;
  /** `<base>/cgroup.controllers` (what berth can enable below the base). */
  controllers: string[];
  /** The kernel has cgroup.freeze (5.2+). */
  freeze: boolean;
}

export interface CgroupHost {
  uid: number;
  layout: CgroupMounts['layout'];
  /** v1 hierarchies with controllers (named ones such as name=systemd are left out). */
  v1: CgroupHostV1[];
  /** The v1 memory hierarchy has memory.memsw.* (swap accounting). */
  v1Memsw: boolean;
  v2?: CgroupHostV2;
}

/** The IO deriveCgroupHost uses; tests pass a fake. */
export interface CgroupHostIO {
  uid: number;
  procCgroup: string;
  kernelRelease: string;
  read(path: string): string | undefined;
  exists(path: string): boolean;
  /** Owner uid of a path, or undefined when it does not exist. */
  owner(path: string): number | undefined;
  writable(path: string): boolean;
}

export const realIO: CgroupHostIO = {
  uid: process.getuid?.() ?? -1,
  get procCgroup() {
    return readOr('/proc/self/cgroup') ?? '';
  },
  kernelRelease: release(),
  read: readOr,
  exists: existsSync,
  owner(path) {
    try {
      return statSync(path).uid;
    } catch {
      return undefined;
    }
  },
  writable(path) {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function kernelAtLeast(rel: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/**
 * The delegated v2 subtree of a normal user: walking up from the process's own cgroup
 * (/proc/self/cgroup `0::` line), the highest ancestor the user owns whose cgroup.procs and
 * cgroup.subtree_control it can write (systemd: .../user@UID.service). Undefined if none.
 */
export function findDelegatedBase(mountPoint: string, ownPath: string, io: CgroupHostIO): string | undefined {
  const parts = ownPath.split('/').filter((p) => p !== '');
  let best: string | undefined;
  for (let n = parts.length; n >= 1; n--) {
    const dir = join(mountPoint, ...parts.slice(0, n));
    const owned =
      io.owner(dir) === io.uid &&
      io.writable(dir) &&
      io.writable(join(dir, 'cgroup.procs')) &&
      io.writable(join(dir, 'cgroup.subtree_control'));
    if (!owned) break;
    best = dir;
  }
  return best;
}

/** Pure given io: the planner's view of the host. */
export function deriveCgroupHost(mounts: CgroupMounts, io: CgroupHostIO): CgroupHost {
  const root = io.uid === 0;
  const v1: CgroupHostV1[] = mounts.v1
    .filter((m) => m.controllers.length > 0)
    .map((m) => {
      const entry: CgroupHostV1 = {
        mountPoint: m.mountPoint,
        controllers: [...m.controllers],
        writable: root && !m.readOnly,
      };
      if (!root) entry.reason = 'which only root can write';
      else if (m.readOnly) entry.reason = 'which is mounted read-only';
      return entry;
    });
  const memMount = v1.find((m) => m.controllers.includes('memory'));
  const host: CgroupHost = {
    uid: io.uid,
    layout: mounts.layout,
    v1,
    v1Memsw: memMount !== undefined && io.exists(join(memMount.mountPoint, 'memory.memsw.limit_in_bytes')),
  };
  const m2 = mounts.v2.find((m) => m.mountPoint === '/sys/fs/cgroup') ?? mounts.v2[0];
  if (m2) {
    const v2: CgroupHostV2 = { mountPoint: m2.mountPoint, controllers: [], freeze: false };
    if (m2.readOnly) v2.reason = `${m2.mountPoint} is mounted read-only`;
    else if (root) v2.base = m2.mountPoint;
    else {
      const own = parseProcCgroup(io.procCgroup).get('') ?? '/';
      const base = findDelegatedBase(m2.mountPoint, own, io);
      if (base !== undefined) v2.base = base;
      else v2.reason = `this user owns no delegated cgroup v2 subtree (its cgroup is ${join(m2.mountPoint, own)})`;
    }
    if (v2.base !== undefined) {
      v2.controllers = (io.read(join(v2.base, 'cgroup.controllers')) ?? '').split(/\s+/).filter((s) => s !== '');
      v2.freeze =
        v2.base === m2.mountPoint ? kernelAtLeast(io.kernelRelease, 5, 2) : io.exists(join(v2.base, 'cgroup.freeze'));
    }
    host.v2 = v2;
  }
  return host;
}

/** The live host (reads /proc/self/mountinfo, /proc/self/cgroup, cgroupfs). */
export function readCgroupHost(mounts?: CgroupMounts): CgroupHost {
  return deriveCgroupHost(mounts ?? parseCgroupMounts(readOr('/proc/self/mountinfo') ?? ''), realIO);
}
