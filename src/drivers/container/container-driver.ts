/**
 * container backend: the chroot backend's overlay root plus new pid (with berth's init as
 * PID 1), net (only lo), ipc, uts and cgroup namespaces, a fresh /proc with Podman's masks,
 * cgroup limits (v1 or v2), Podman's 11 capabilities, no_new_privs and a default seccomp filter.
 * Its capabilities and refusals: register.ts, container-validate.ts.
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { EnvStats, Handle, ExitResult, StopOptions } from '../driver.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import type { ShimIsolation } from '../../host/shim-cmdline.js';
import { ShimDriver } from '../shim/shim-driver.js';
import { effectiveCaps, ALL_CAPS } from './capabilities-list.js';
import {
  readCgroupHost,
  planCgroups,
  applyPlan,
  joinDirs,
  removeCgroups,
  freeze,
  thaw,
  stats as cgroupStats,
  describeCgroups,
  type CgroupPlan,
} from '../../host/cgroups/index.js';
import { DriverError } from '../../core/errors.js';

const PLAN_FILE = 'cgroups.json';

function readPlan(store: EnvStore, id: string): CgroupPlan | undefined {
  try {
    return JSON.parse(readFileSync(join(store.dirOf(id), PLAN_FILE), 'utf8')) as CgroupPlan;
  } catch {
    return undefined;
  }
}

/** Which limits are enforced where, for inspect. */
export function containerEnforcement(store: EnvStore, h: Handle): ReturnType<typeof describeCgroups> | undefined {
  const plan = readPlan(store, h.id);
  return plan ? describeCgroups(plan) : undefined;
}

export class ContainerDriver extends ShimDriver {
  readonly name = 'container' as const;

  private plan(rec: EnvRecord): CgroupPlan | undefined {
    return readPlan(this.store, rec.id);
  }

  protected isolation(rec: EnvRecord): ShimIsolation {
    const sec = rec.spec.security;
    const plan = this.plan(rec);
    return {
      proc: 'new',
      sys: 'new-ro',
      pidNs: true,
      netNs: true,
      ipcNs: true,
      cgroupNs: true,
      caps: sec.privileged ? [...ALL_CAPS] : effectiveCaps(sec.capAdd, sec.capDrop),
      seccomp: sec.privileged ? 'unconfined' : sec.seccomp,
      cgroups: plan ? joinDirs(plan) : [],
    };
  }

  protected override async acquire(rec: EnvRecord): Promise<void> {
    const plan = planCgroups(readCgroupHost(), rec.id, rec.spec.limits);
    if (plan.unenforceable.length > 0 && !rec.spec.ignoreUnenforced) {
      const u = plan.unenforceable[0]!;
      throw new DriverError('unenforceable', `cannot enforce ${u.limit} here: ${u.reason}`, {
        fix: 'pass --ignore-unenforced to run anyway',
      });
    }
    writeFileSync(join(this.store.dirOf(rec.id), PLAN_FILE), JSON.stringify(plan));
    await applyPlan(plan);
  }

  protected override async release(rec: EnvRecord): Promise<void> {
    const plan = this.plan(rec);
    await removeCgroups(rec.id, plan ? { plan } : {});
  }

  /** The cgroups' numbers where it has them (as root); the processes' otherwise. */
  override async stats(h: Handle): Promise<EnvStats> {
    const base = await super.stats(h);
    const plan = this.plan(this.record(h));
    if (!plan || plan.dirs.length === 0) return base;
    const s = cgroupStats(plan);
    return {
      ...base,
      cpuUsageNs: s.cpuUsageNs ?? base.cpuUsageNs,
      memoryBytes: s.memoryCurrentBytes ?? base.memoryBytes,
      memoryLimitBytes: s.memoryLimitBytes ?? null,
      pids: s.pidsCurrent ?? base.pids,
      pidsLimit: s.pidsLimit ?? null,
      source: 'cgroup',
    };
  }

  /** Frozen processes cannot take a signal: thaw before stopping or removing. */
  private async thawQuietly(h: Handle): Promise<void> {
    if (this.store.readState(h.id)?.state !== 'paused') return;
    const rec = this.store.readRecord(h.id);
    const plan = rec ? this.plan(rec) : undefined;
    if (plan && this.store.readState(h.id)?.state === 'paused') {
      await thaw(plan).catch(() => undefined);
      this.store.markState(h.id, 'resumed');
    }
  }

  override async stop(h: Handle, opts: StopOptions): Promise<ExitResult | undefined> {
    await this.thawQuietly(h);
    return super.stop(h, opts);
  }

  override async remove(h: Handle, opts: { force: boolean }): Promise<void> {
    if (opts.force) await this.thawQuietly(h);
    return super.remove(h, opts);
  }

  private freezer(h: Handle, verb: 'freeze' | 'thaw'): CgroupPlan {
    const plan = this.plan(this.record(h));
    if (!plan)
      throw new DriverError('no-freezer', `environment ${h.name} has no cgroup to ${verb}`, {
        fix: 'pause needs cgroups berth can write (run as root)',
      });
    return plan;
  }

  override async pause(h: Handle): Promise<void> {
    await freeze(this.freezer(h, 'freeze'));
  }

  override async resume(h: Handle): Promise<void> {
    await thaw(this.freezer(h, 'thaw'));
  }
}
