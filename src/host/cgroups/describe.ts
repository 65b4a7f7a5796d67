/** What `inspect` shows: which limit is enforced where, and what could not be. */
import { join } from 'node:path';
import type { CgroupPlan, CgroupVersion, LimitName, Unenforceable } from './types.js';

export interface EnforcedLimit {
  limit: LimitName;
  controller: string;
  version: CgroupVersion;
  /** Absolute path of the file holding the limit. */
  file: string;
  value: string;
}

export interface CgroupDescription {
  enforced: EnforcedLimit[];
  unenforceable: Unenforceable[];
  /** The dirs processes join, with their version. */
  dirs: { path: string; version: CgroupVersion; controllers: string[] }[];
  pause: { version: CgroupVersion; file: string } | null;
}

export function describeCgroups(plan: CgroupPlan): CgroupDescription {
  const enforced = plan.writes
    .filter((w) => w.limit !== undefined)
    .map((w) => ({
      limit: w.limit!,
      controller: w.controller,
      version: w.version,
      file: join(w.dir, w.file),
      value: w.value,
    }));
  const f = plan.placement.freezer;
  return {
    enforced,
    unenforceable: plan.unenforceable.map((u) => ({ ...u })),
    dirs: plan.dirs.map((d) => ({ path: d.path, version: d.version, controllers: [...d.controllers] })),
    pause: f ? { version: f.version, file: join(f.dir, f.version === 1 ? 'freezer.state' : 'cgroup.freeze') } : null,
  };
}

/** One line per limit, for human output: `memoryBytes: 268435456 (memory, cgroup v1, /sys/fs/cgroup/memory/berth/ID/memory.limit_in_bytes)`. */
export function describeLines(d: CgroupDescription): string[] {
  const lines = d.enforced.map((e) => `${e.limit}: ${e.value} (${e.controller}, cgroup v${e.version}, ${e.file})`);
  for (const u of d.unenforceable) lines.push(`${u.limit}: NOT enforced (${u.reason})`);
  lines.push(d.pause ? `pause: cgroup v${d.pause.version}, ${d.pause.file}` : 'pause: unavailable');
  return lines;
}
