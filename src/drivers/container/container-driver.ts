/**
 * container backend: the chroot backend's overlay root plus new pid (with berth's init as
 * PID 1), net (only lo), ipc, uts and cgroup namespaces, a fresh /proc with Podman's masks,
 * cgroup limits (v1 or v2), Podman's 11 capabilities, no_new_privs and a default seccomp filter.
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Capabilities, EnvStats, Handle, Probe, Problem, Status, ExitResult, StopOptions } from '../driver.js';
import type { ResolvedSpec } from '../../core/resolved-spec.js';
import type { EnvRecord } from '../../core/env-store.js';
import type { ShimIsolation } from '../../host/shim-cmdline.js';
import { ShimDriver } from '../shim/shim-driver.js';
import { probeContainer } from './container-probe.js';
import { effectiveCaps, ALL_CAPS } from './capabilities-list.js';
import {
  readCgroupHost,
  planCgroups,
  applyPlan,
  joinDirs,
  removeCgroups,
  oomKilled,
  freeze,
  thaw,
  stats as cgroupStats,
  describeCgroups,
  type CgroupPlan,
} from '../../host/cgroups/index.js';
import { DriverError, type SpecError } from '../../core/errors.js';
import { networkProblems, SHIM_NETWORK_MODES } from '../common/network-validate.js';

const CAPABILITIES: Capabilities = {
  isolation: 'namespaces',
  separateKernel: false,
  rootless: true,
  exec: true,
  tty: true,
  pause: true,
  checkpoint: false,
  networkModes: SHIM_NETWORK_MODES,
  limits: { memory: true, cpus: true, pids: true },
  summary:
    'container isolates processes (own pid namespace, berth init as PID 1), network (only lo unless --network says otherwise), IPC, hostname and ' +
    "cgroups, with a copy-on-write root, reduced capabilities, no_new_privs and a seccomp filter; the kernel is the host's",
};

const PLAN_FILE = 'cgroups.json';

export class ContainerDriver extends ShimDriver {
  readonly name = 'container' as const;

  probe(): Promise<Probe> {
    return probeContainer(this.store.paths.runtime);
  }

  capabilities(): Capabilities {
    return CAPABILITIES;
  }

  validate(spec: ResolvedSpec, rootless: boolean): Problem[] {
    const problems: Problem[] = networkProblems(spec, rootless);
    try {
      effectiveCaps(spec.security.capAdd, spec.security.capDrop);
    } catch (e) {
      problems.push({ field: 'cap', message: (e as SpecError).message, fix: (e as SpecError).fix ?? '' });
    }
    if (spec.diskSizeBytes !== undefined)
      problems.push({
        field: 'disk-size',
        message: 'the container backend has no disk (--disk-size is for uml and microvm)',
        fix: 'drop --disk-size, or use --backend uml or microvm',
      });
    if (spec.kernel !== undefined)
      problems.push({
        field: 'kernel',
        message: 'the container backend shares the host kernel: --kernel needs uml or microvm',
        fix: 'use --backend uml or microvm, or drop --kernel',
      });
    const wanted = spec.limits;
    if (wanted.memoryBytes === undefined && wanted.cpus === undefined && wanted.pidsLimit === undefined)
      return problems;
    let plan: CgroupPlan;
    try {
      plan = planCgroups(readCgroupHost(), 'validate', wanted);
    } catch (e) {
      problems.push({ field: 'limits', message: (e as Error).message, fix: (e as SpecError).fix ?? '' });
      return problems;
    }
    if (!spec.ignoreUnenforced) {
      for (const u of plan.unenforceable) {
        const flag = u.limit === 'memoryBytes' ? 'memory' : u.limit === 'pidsLimit' ? 'pids-limit' : 'cpus';
        problems.push({
          field: flag,
          message: `cannot enforce --${flag} here: ${u.reason}`,
          fix: 'run as root, delegate a cgroup v2 subtree to your user, or pass --ignore-unenforced',
        });
      }
    }
    return problems;
  }

  private plan(rec: EnvRecord): CgroupPlan | undefined {
    try {
      return JSON.parse(readFileSync(join(this.store.dirOf(rec.id), PLAN_FILE), 'utf8')) as CgroupPlan;
    } catch {
      return undefined;
    }
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

  private withOom(rec: EnvRecord | undefined, exit: ExitResult | undefined): ExitResult | undefined {
    if (!rec || !exit || exit.exitCode !== 137) return exit;
    const plan = this.plan(rec);
    return plan && oomKilled(plan) ? { ...exit, oomKilled: true } : exit;
  }

  override async wait(h: Handle): Promise<ExitResult> {
    const res = await super.wait(h);
    return this.withOom(this.store.readRecord(h.id), res) ?? res;
  }

  override async inspect(h: Handle): Promise<Status> {
    const st = await super.inspect(h);
    const exit = this.withOom(this.store.readRecord(h.id), st.exit);
    return exit ? { ...st, exit } : st;
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

  /** Which limits are enforced where, for inspect. */
  enforcement(h: Handle): ReturnType<typeof describeCgroups> | undefined {
    const plan = this.plan(this.record(h));
    return plan ? describeCgroups(plan) : undefined;
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

  async pause(h: Handle): Promise<void> {
    const plan = this.plan(this.record(h));
    if (!plan)
      throw new DriverError('no-freezer', `environment ${h.name} has no cgroup to freeze`, {
        fix: 'pause needs cgroups berth can write (run as root)',
      });
    await freeze(plan);
  }

  async resume(h: Handle): Promise<void> {
    const plan = this.plan(this.record(h));
    if (!plan)
      throw new DriverError('no-freezer', `environment ${h.name} has no cgroup to thaw`, {
        fix: 'pause needs cgroups berth can write (run as root)',
      });
    await thaw(plan);
  }
}
