/**
 * Plain data shared by the cgroup planner, applier and readers. A CgroupPlan is JSON-serialisable:
 * drivers store it in the environment's state dir so stats/freeze/remove work after the CLI exits.
 */

/** The limits berth enforces with cgroups. */
export interface CgroupLimits {
  memoryBytes?: number;
  /** Fractional CPUs (0.5 = half a core), enforced as a CFS quota per 100 ms period. */
  cpus?: number;
  pidsLimit?: number;
}

export type LimitName = keyof CgroupLimits;

/** A requested limit this host cannot enforce, and why (the caller refuses unless --ignore-unenforced). */
export interface Unenforceable {
  limit: LimitName;
  reason: string;
}

export type CgroupVersion = 1 | 2;

/** What a cgroup directory is used for: a limit controller, cpu accounting, or pause. */
export type CgroupRole = 'memory' | 'cpu' | 'pids' | 'cpuacct' | 'freezer';

export interface Placement {
  version: CgroupVersion;
  /** The environment's leaf cgroup directory serving this role. */
  dir: string;
}

export interface PlannedDir {
  /** The leaf: `<hierarchy base>/berth/<id>`. */
  path: string;
  /** `<hierarchy base>/berth`: created if missing, never removed (shared by all environments). */
  berthDir: string;
  version: CgroupVersion;
  /** Controllers of this hierarchy berth uses through this dir (v1: the mount's; v2: those enabled). */
  controllers: string[];
}

/** A v2 `+ctrl` write into a parent's cgroup.subtree_control. */
export interface SubtreeEnable {
  dir: string;
  controllers: string[];
}

export interface PlannedWrite {
  dir: string;
  file: string;
  value: string;
  version: CgroupVersion;
  controller: string;
  /** The limit this write enforces (absent for companion writes such as cpu.cfs_period_us). */
  limit?: LimitName;
  /** Skip silently when the file does not exist (v2 memory.swap.max without swap accounting). */
  optional?: boolean;
}

export interface CgroupPlan {
  id: string;
  limits: CgroupLimits;
  dirs: PlannedDir[];
  /** v2 only, in order (outermost first). */
  enable: SubtreeEnable[];
  /** In order; apply stops (and undoes) at the first failure. */
  writes: PlannedWrite[];
  placement: Partial<Record<CgroupRole, Placement>>;
  unenforceable: Unenforceable[];
}
