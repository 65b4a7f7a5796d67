/**
 * Applying a plan: mkdir the leaf dirs (and `berth/` if missing), enable v2 controllers in the
 * parents, write the limit files. Idempotent (an existing leaf is reused); on failure everything
 * this call created is removed again and a HostError names the file.
 */
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../../core/errors.js';
import { Reverter } from '../../core/reverter.js';
import { errnoOf, readOpt } from './fs.js';
import type { CgroupPlan } from './types.js';

function mkdirOnce(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'EEXIST') return false;
    throw e;
  }
}

function fail(what: string, path: string, e: unknown): HostError {
  const code = errnoOf(e);
  const fix =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'run as root, or on cgroup v2 in a delegated subtree (systemd-run --user --scope -p Delegate=yes)'
      : code === 'EBUSY' && what.includes('subtree_control')
        ? 'cgroup v2 forbids enabling controllers in a cgroup that holds processes: start berth from a cgroup with a free parent, e.g. systemd-run --user --scope -p Delegate=yes'
        : undefined;
  const msg = `cannot ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`;
  return new HostError('cgroup-apply', msg, fix === undefined ? { cause: e } : { fix, cause: e });
}

export async function applyPlan(plan: CgroupPlan): Promise<void> {
  const rev = new Reverter();
  try {
    for (const d of plan.dirs) {
      try {
        mkdirOnce(d.berthDir);
        if (mkdirOnce(d.path)) rev.add(() => rmdirSync(d.path));
      } catch (e) {
        throw fail('create cgroup', d.path, e);
      }
    }
    for (const en of plan.enable) {
      const file = join(en.dir, 'cgroup.subtree_control');
      const have = (readOpt(en.dir, 'cgroup.subtree_control') ?? '').split(/\s+/);
      const missing = en.controllers.filter((c) => !have.includes(c));
      if (missing.length === 0) continue;
      try {
        writeFileSync(file, missing.map((c) => `+${c}`).join(' '));
      } catch (e) {
        throw fail('enable controllers in', file, e);
      }
    }
    for (const w of plan.writes) {
      const file = join(w.dir, w.file);
      try {
        writeFileSync(file, w.value);
      } catch (e) {
        if (w.optional && errnoOf(e) === 'ENOENT') continue;
        throw fail(`write "${w.value}" to`, file, e);
      }
    }
    rev.success();
  } catch (e) {
    await rev.revert();
    throw e;
  }
}

/** The dirs a new process must join (the native shim writes its pid into each dir's cgroup.procs). */
export function joinDirs(plan: CgroupPlan): string[] {
  return plan.dirs.map((d) => d.path);
}

/** `--cgroup DIR` per dir, for the native shim's argv. */
export function shimCgroupArgs(plan: CgroupPlan): string[] {
  return joinDirs(plan).flatMap((d) => ['--cgroup', d]);
}
