/**
 * Removing an environment's cgroups: rmdir `<base>/berth/<id>` in every hierarchy (children of the
 * leaf first, e.g. cgroups a nested runtime made), retrying briefly on EBUSY while exiting tasks
 * drain. Never touches anything above `berth/<id>`; `berth/` itself stays (shared). Idempotent.
 * Killing and waiting for the processes is the caller's job; a frozen leaf is thawed first so
 * killed tasks can exit.
 */
import { readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../../core/errors.js';
import { errnoOf, readOpt, sleep } from './fs.js';
import type { CgroupHost } from './host.js';
import { readCgroupHost } from './host.js';
import { checkCgroupId } from './plan.js';
import type { CgroupPlan } from './types.js';

/** Every place berth could have put `berth/<id>` on this host (plus the plan's dirs, if given). */
export function candidateDirs(id: string, host: CgroupHost, plan?: CgroupPlan): string[] {
  checkCgroupId(id);
  const out = new Set<string>(plan?.dirs.map((d) => d.path) ?? []);
  for (const m of host.v1) out.add(join(m.mountPoint, 'berth', id));
  if (host.v2) {
    out.add(join(host.v2.mountPoint, 'berth', id));
    if (host.v2.base !== undefined) out.add(join(host.v2.base, 'berth', id));
  }
  return [...out];
}

function thaw(dir: string): void {
  try {
    if (readOpt(dir, 'freezer.state')?.trim() !== 'THAWED' && readOpt(dir, 'freezer.state') !== undefined)
      writeFileSync(join(dir, 'freezer.state'), 'THAWED');
  } catch {
    /* best effort */
  }
  try {
    if (readOpt(dir, 'cgroup.freeze')?.trim() === '1') writeFileSync(join(dir, 'cgroup.freeze'), '0');
  } catch {
    /* best effort */
  }
}

async function rmdirRetry(dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) {
        const procs = (readOpt(dir, 'cgroup.procs') ?? '')
          .trim()
          .split('\n')
          .filter((s) => s !== '');
        throw new HostError(
          'cgroup-remove',
          `cannot remove cgroup ${dir}: ${e instanceof Error ? e.message : String(e)}`,
          {
            fix:
              procs.length > 0
                ? `processes still inside (${procs.slice(0, 5).join(' ')}): kill them first`
                : 'retry in a moment',
            cause: e,
          },
        );
      }
      await sleep(20);
    }
  }
}

async function removeTree(dir: string, timeoutMs: number): Promise<void> {
  // First a bare rmdir: a leaf whose tasks are gone (every `run --rm`) or a hierarchy berth never
  // made goes without listing it and reading its freezer files (ADR 0073). A leaf with children or
  // tasks (EBUSY) takes the full path below.
  try {
    rmdirSync(dir);
    return;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
  }
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw e;
  }
  thaw(dir);
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name), timeoutMs);
  await rmdirRetry(dir, timeoutMs);
}

/** Remove the environment's cgroup leaves in every hierarchy. Throws HostError if one stays busy. */
export async function removeCgroups(
  id: string,
  opts: { plan?: CgroupPlan; host?: CgroupHost; timeoutMs?: number } = {},
): Promise<void> {
  const host = opts.host ?? readCgroupHost();
  const errors: unknown[] = [];
  for (const dir of candidateDirs(id, host, opts.plan)) {
    try {
      await removeTree(dir, opts.timeoutMs ?? 2000);
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
}
