/**
 * Pause and resume: v1 freezer.state FROZEN/THAWED (waiting until it reads FROZEN, not FREEZING),
 * v2 cgroup.freeze 1/0 (waiting for `frozen 1` in cgroup.events).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../../core/errors.js';
import { pollUntil, readKeyed, readOpt } from './fs.js';
import type { CgroupPlan, Placement } from './types.js';

function freezer(plan: CgroupPlan): Placement {
  const p = plan.placement.freezer;
  if (!p) {
    throw new HostError('cgroup-no-freezer', 'pause is not available: no freezer cgroup for this environment', {
      fix: 'the host needs the v1 freezer controller (as root) or cgroup v2 (kernel 5.2+)',
    });
  }
  return p;
}

async function setFrozen(plan: CgroupPlan, frozen: boolean, timeoutMs: number): Promise<void> {
  const p = freezer(plan);
  const [file, value, done] =
    p.version === 1
      ? [
          'freezer.state',
          frozen ? 'FROZEN' : 'THAWED',
          () => readOpt(p.dir, 'freezer.state')?.trim() === (frozen ? 'FROZEN' : 'THAWED'),
        ]
      : [
          'cgroup.freeze',
          frozen ? '1' : '0',
          () => readKeyed(p.dir, 'cgroup.events')?.get('frozen') === (frozen ? '1' : '0'),
        ];
  const path = join(p.dir, file);
  try {
    writeFileSync(path, value);
  } catch (e) {
    throw new HostError(
      'cgroup-freeze',
      `cannot write ${value} to ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  // v1: a task in uninterruptible sleep keeps the state at FREEZING; re-writing FROZEN retries.
  const ok = await pollUntil(() => {
    if (done()) return true;
    if (p.version === 1 && frozen)
      try {
        writeFileSync(path, value);
      } catch {
        /* retried next round */
      }
    return false;
  }, timeoutMs);
  if (!ok) {
    throw new HostError('cgroup-freeze', `${path} did not reach ${value} within ${timeoutMs} ms`, {
      fix: 'a task may be stuck in uninterruptible I/O; retry, or stop the environment',
    });
  }
}

export function freeze(plan: CgroupPlan, opts: { timeoutMs?: number } = {}): Promise<void> {
  return setFrozen(plan, true, opts.timeoutMs ?? 5000);
}

export function thaw(plan: CgroupPlan, opts: { timeoutMs?: number } = {}): Promise<void> {
  return setFrozen(plan, false, opts.timeoutMs ?? 5000);
}
