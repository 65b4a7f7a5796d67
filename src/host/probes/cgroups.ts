/**
 * cgroups: which layout the host has (v2 unified, v1 legacy, or hybrid = v1 controllers plus a
 * v2 hierarchy at /sys/fs/cgroup/unified), which of the controllers berth enforces limits with
 * (cpu, memory, pids) exist on v1 and on v2, and whether this user may write there (delegation).
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { type Finding, fail, guard, ok } from './finding.js';
import { readText } from './exec.js';
import { parseMountinfo } from './mountinfo.js';

/** The controllers berth uses for limits. */
export const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

const V1_CONTROLLERS = new Set([
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'net_prio',
  'blkio',
  'perf_event',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
]);

export interface CgroupV1Mount {
  mountPoint: string;
  /** Controllers bound to this hierarchy (e.g. ['cpu', 'cpuacct']); empty for a named one. */
  controllers: string[];
  /** For a named hierarchy (name=systemd). */
  name?: string;
  readOnly: boolean;
}

export interface CgroupV2Mount {
  mountPoint: string;
  readOnly: boolean;
}

export type CgroupLayout = 'unified' | 'legacy' | 'hybrid' | 'none';

export interface CgroupMounts {
  layout: CgroupLayout;
  v1: CgroupV1Mount[];
  v2: CgroupV2Mount[];
}

/** Pure: the cgroup hierarchies mounted according to a mountinfo text. */
export function parseCgroupMounts(mountinfoText: string): CgroupMounts {
  const v1: CgroupV1Mount[] = [];
  const v2: CgroupV2Mount[] = [];
  for (const m of parseMountinfo(mountinfoText)) {
    const readOnly = m.options.includes('ro');
    if (m.fsType === 'cgroup2') {
      v2.push({ mountPoint: m.mountPoint, readOnly });
    } else if (m.fsType === 'cgroup') {
      const controllers = m.superOptions.filter((o) => V1_CONTROLLERS.has(o));
      const named = m.superOptions.find((o) => o.startsWith('name='));
      const entry: CgroupV1Mount = { mountPoint: m.mountPoint, controllers, readOnly };
      if (named) entry.name = named.slice('name='.length);
      v1.push(entry);
    }
  }
  const hasV1Controllers = v1.some((m) => m.controllers.length > 0);
  // A v1 hierarchy without controllers (name=systemd only) beside v2 is still unified for limits.
  let layout: CgroupLayout;
  if (v2.length > 0) layout = hasV1Controllers ? 'hybrid' : 'unified';
  else layout = v1.length > 0 ? 'legacy' : 'none';
  return { layout, v1, v2 };
}

/**
 * Pure: /proc/self/cgroup -> the process's cgroup path per v1 controller (and '' for v2).
 * Lines look like `4:memory:/user.slice` or `0::/user.slice/user-1000.slice/session-1.scope`.
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , ctl = '', path = '/'] = m;
    if (ctl === '') out.set('', path);
    for (const c of ctl.split(',')) if (c !== '') out.set(c, path);
  }
  return out;
}

export interface ControllerInfo {
  /** Where this process's cgroup for the controller is (absolute host path). */
  dir: string;
  writable: boolean;
}

export interface CgroupInfo extends CgroupMounts {
  /** Per wanted controller, on v1 (if bound to a v1 hierarchy). */
  v1Controllers: Partial<Record<(typeof WANTED_CONTROLLERS)[number], ControllerInfo>>;
  /** The v2 hierarchy this process lives in (the main one: /sys/fs/cgroup or .../unified). */
  v2Dir?: string;
  /** Controllers listed in this process's own v2 cgroup.controllers (what it could delegate). */
  v2Controllers: string[];
  v2Writable: boolean;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Read the live layout. Throws only on programming errors; use probeCgroups() for a Finding. */
export function detectCgroups(
  mountinfoText = readText('/proc/self/mountinfo') ?? '',
  procCgroupText = readText('/proc/self/cgroup') ?? '',
): CgroupInfo {
  const mounts = parseCgroupMounts(mountinfoText);
  const own = parseProcCgroup(procCgroupText);
  const info: CgroupInfo = { ...mounts, v1Controllers: {}, v2Controllers: [], v2Writable: false };
  for (const c of WANTED_CONTROLLERS) {
    const m = mounts.v1.find((x) => x.controllers.includes(c));
    if (!m) continue;
    const dir = join(m.mountPoint, own.get(c) ?? '/').replace(/(.)\/$/, '$1');
    info.v1Controllers[c] = { dir, writable: !m.readOnly && writable(dir) };
  }
  // Prefer the v2 mount at /sys/fs/cgroup (unified), else the first (hybrid: .../unified).
  const v2 = mounts.v2.find((m) => m.mountPoint === '/sys/fs/cgroup') ?? mounts.v2[0];
  if (v2) {
    const dir = join(v2.mountPoint, own.get('') ?? '/').replace(/(.)\/$/, '$1');
    info.v2Dir = dir;
    const ctl = readText(join(dir, 'cgroup.controllers')) ?? readText(join(v2.mountPoint, 'cgroup.controllers')) ?? '';
    info.v2Controllers = ctl.split(/\s+/).filter((s) => s !== '');
    info.v2Writable = !v2.readOnly && writable(dir);
  }
  return info;
}

/** Summarise detectCgroups() as a Finding; ok when cpu, memory and pids are writable somewhere. */
export function cgroupFinding(info: CgroupInfo): Finding {
  if (info.layout === 'none') return fail('no cgroup hierarchy mounted (resource limits cannot be enforced)', 'none');
  const parts: string[] = [];
  const usable = new Set<string>();
  if (info.v1.length > 0) {
    const v1 = WANTED_CONTROLLERS.map((c) => {
      const x = info.v1Controllers[c];
      if (!x) return `${c} missing`;
      if (x.writable) usable.add(c);
      return `${c} ${x.writable ? 'writable' : 'read-only'}`;
    });
    parts.push(`v1: ${v1.join(', ')}`);
  }
  if (info.v2Dir !== undefined) {
    const v2 = WANTED_CONTROLLERS.map((c) => {
      const has = info.v2Controllers.includes(c);
      if (has && info.v2Writable) usable.add(c);
      return `${c} ${has ? (info.v2Writable ? 'writable' : 'read-only') : 'missing'}`;
    });
    parts.push(`v2 at ${info.v2Dir}: ${v2.join(', ')}`);
  }
  const missing = WANTED_CONTROLLERS.filter((c) => !usable.has(c));
  const summary = `${info.layout}; ${parts.join('; ')}`;
  return missing.length === 0
    ? ok(summary, info.layout)
    : fail(
        `${summary} (cannot enforce limits with ${missing.join(', ')}: not present or not delegated to this user)`,
        info.layout,
      );
}

export function probeCgroups(): Promise<Finding> {
  return guard('cgroups', () => cgroupFinding(detectCgroups()));
}
