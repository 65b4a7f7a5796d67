/**
 * The pure planner: host facts + environment id + limits -> which cgroup dirs to create, which
 * controllers to enable in v2 parents, which files to write, and which limits cannot be enforced.
 *
 * Placement per controller: v2 when the v2 hierarchy offers it below berth's base (delegated for a
 * normal user), else v1 (root only), else unenforceable. Hybrid hosts (v1 controllers + a nearly
 * empty v2) therefore end up entirely on v1. Directories: `<base>/berth/<id>` per hierarchy used.
 */
import { join } from 'node:path';
import { BerthError } from '../../core/errors.js';
import type { CgroupHost, CgroupHostV1 } from './host.js';
import { CFS_PERIOD_US, cfsQuotaUs, checkLimits } from './limits.js';
import type {
  CgroupLimits,
  CgroupPlan,
  CgroupRole,
  LimitName,
  Placement,
  PlannedDir,
  PlannedWrite,
  Unenforceable,
} from './types.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkCgroupId(id: string): void {
  if (!ID_RE.test(id)) throw new BerthError('bad-cgroup-id', `invalid cgroup id "${id}"`);
}

const LIMIT_CONTROLLER: Record<LimitName, 'memory' | 'cpu' | 'pids'> = {
  memoryBytes: 'memory',
  cpus: 'cpu',
  pidsLimit: 'pids',
};

type Where = { version: 2 } | { version: 1; mount: CgroupHostV1 } | { version: 0; reason: string };

function locate(host: CgroupHost, ctrl: string): Where {
  const v2 = host.v2;
  if (v2?.base !== undefined && v2.controllers.includes(ctrl)) return { version: 2 };
  const m = host.v1.find((x) => x.controllers.includes(ctrl));
  if (m?.writable) return { version: 1, mount: m };
  if (m)
    return {
      version: 0,
      reason: `the ${ctrl} controller is on cgroup v1 (${m.mountPoint}), ${m.reason ?? 'which is not writable'}`,
    };
  if (v2?.base === undefined && v2 !== undefined && host.layout === 'unified') {
    return { version: 0, reason: `the ${ctrl} controller is on cgroup v2, but ${v2.reason ?? 'it is not writable'}` };
  }
  if (v2?.base !== undefined) {
    return {
      version: 0,
      reason: `the ${ctrl} controller is not available in ${join(v2.base, 'cgroup.controllers')} (not ${host.uid === 0 ? 'enabled on this host' : 'delegated to this user'}) and not mounted on cgroup v1`,
    };
  }
  return { version: 0, reason: `the ${ctrl} controller is not mounted on this host (neither cgroup v1 nor v2)` };
}

export function planCgroups(host: CgroupHost, id: string, limits: CgroupLimits): CgroupPlan {
  checkCgroupId(id);
  checkLimits(limits);
  const plan: CgroupPlan = {
    id,
    limits: { ...limits },
    dirs: [],
    enable: [],
    writes: [],
    placement: {},
    unenforceable: [],
  };

  const v2Ctrls: string[] = [];
  const v1Dirs = new Map<string, PlannedDir>();
  const v2Leaf = host.v2?.base !== undefined ? join(host.v2.base, 'berth', id) : undefined;
  const v1Leaf = (m: CgroupHostV1, ctrl: string): string => {
    let d = v1Dirs.get(m.mountPoint);
    if (!d) {
      d = { path: join(m.mountPoint, 'berth', id), berthDir: join(m.mountPoint, 'berth'), version: 1, controllers: [] };
      v1Dirs.set(m.mountPoint, d);
    }
    if (!d.controllers.includes(ctrl)) d.controllers.push(ctrl);
    return d.path;
  };
  const place = (role: CgroupRole, p: Placement): void => {
    plan.placement[role] = p;
  };
  const unplaced: Partial<Record<'memory' | 'cpu' | 'pids', string>> = {};

  for (const ctrl of ['memory', 'cpu', 'pids'] as const) {
    const w = locate(host, ctrl);
    if (w.version === 2 && v2Leaf) {
      v2Ctrls.push(ctrl);
      place(ctrl, { version: 2, dir: v2Leaf });
    } else if (w.version === 1) {
      place(ctrl, { version: 1, dir: v1Leaf(w.mount, ctrl) });
    } else if (w.version === 0) {
      unplaced[ctrl] = w.reason;
    }
  }
  const usesV2 = v2Ctrls.length > 0;

  // cpu accounting: v2 cpu.stat follows the v2 dir; on v1 the cpuacct hierarchy (often co-mounted with cpu).
  const acct = host.v1.find((x) => x.controllers.includes('cpuacct'));
  if (plan.placement.cpu?.version === 2) place('cpuacct', { version: 2, dir: v2Leaf! });
  else if (acct?.writable) place('cpuacct', { version: 1, dir: v1Leaf(acct, 'cpuacct') });
  else if (usesV2) place('cpuacct', { version: 2, dir: v2Leaf! });

  // pause: v2 cgroup.freeze when a v2 dir exists anyway, else the v1 freezer, else a v2 dir just for it.
  const freezer = host.v1.find((x) => x.controllers.includes('freezer'));
  if (usesV2 && host.v2?.freeze) place('freezer', { version: 2, dir: v2Leaf! });
  else if (freezer?.writable) place('freezer', { version: 1, dir: v1Leaf(freezer, 'freezer') });
  else if (v2Leaf && host.v2?.freeze) place('freezer', { version: 2, dir: v2Leaf });

  const needsV2 = Object.values(plan.placement).some((p) => p.version === 2);
  if (needsV2 && host.v2?.base !== undefined && v2Leaf) {
    plan.dirs.push({ path: v2Leaf, berthDir: join(host.v2.base, 'berth'), version: 2, controllers: v2Ctrls });
    if (v2Ctrls.length > 0) {
      plan.enable.push(
        { dir: host.v2.base, controllers: [...v2Ctrls] },
        { dir: join(host.v2.base, 'berth'), controllers: [...v2Ctrls] },
      );
    }
  }
  plan.dirs.push(...v1Dirs.values());

  // Files, and the limits that cannot be enforced.
  const write = (
    role: 'memory' | 'cpu' | 'pids',
    file: string,
    value: string,
    limit?: LimitName,
    optional?: boolean,
  ): void => {
    const p = plan.placement[role]!;
    const w: PlannedWrite = { dir: p.dir, file, value, version: p.version, controller: role };
    if (limit) w.limit = limit;
    if (optional) w.optional = true;
    plan.writes.push(w);
  };
  for (const limit of ['memoryBytes', 'cpus', 'pidsLimit'] as const) {
    const value = limits[limit];
    if (value === undefined) continue;
    const ctrl = LIMIT_CONTROLLER[limit];
    const p = plan.placement[ctrl];
    if (!p) {
      plan.unenforceable.push({
        limit,
        reason: unplaced[ctrl] ?? `the ${ctrl} controller is unavailable`,
      } satisfies Unenforceable);
      continue;
    }
    if (limit === 'memoryBytes') {
      if (p.version === 1) {
        write('memory', 'memory.limit_in_bytes', String(value), limit);
        // Same value for memory+swap: no escaping the limit into swap.
        if (host.v1Memsw) write('memory', 'memory.memsw.limit_in_bytes', String(value), limit);
      } else {
        write('memory', 'memory.max', String(value), limit);
        write('memory', 'memory.swap.max', '0', limit, true);
      }
    } else if (limit === 'cpus') {
      if (p.version === 1) {
        write('cpu', 'cpu.cfs_period_us', String(CFS_PERIOD_US));
        write('cpu', 'cpu.cfs_quota_us', String(cfsQuotaUs(value)), limit);
      } else {
        write('cpu', 'cpu.max', `${cfsQuotaUs(value)} ${CFS_PERIOD_US}`, limit);
      }
    } else {
      write('pids', 'pids.max', String(value), limit);
    }
  }
  return plan;
}
