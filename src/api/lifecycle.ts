/**
 * The operations behind `berth run/create/exec/stop/kill/rm/ps`: spec -> backend -> image ->
 * state dir -> driver, with a reverter so a failure leaves nothing behind.
 */
import type { Context } from './context.js';
import type { EnvSpec } from '../core/spec.js';
import type { ResolvedSpec } from '../core/resolved-spec.js';
import type { EnvRecord, BackendChoice } from '../core/env-store.js';
import type { Driver, PreparedEnv, EnvStats, ExecOptions, ExitResult, Handle, Status } from '../drivers/driver.js';
import type { EnvProcess } from '../host/ns-processes.js';
import { DriverError, SpecError, StateError } from '../core/errors.js';
import { checkNoNul, validateSpec } from '../core/spec-validate.js';
import { effectiveCaps } from '../drivers/container/capabilities-list.js';
import { resolveCommand } from '../core/command.js';
import { resolveImage } from '../images/resolve.js';
import { Reverter } from '../core/reverter.js';
import type { TransferHook } from '../core/transfer.js';
import { matchesLabel, type LabelSelector } from './labels.js';
import { readNetworkState, type NetworkState } from '../network/network-state.js';
import { shortId } from '../core/names.js';

export interface Started {
  handle: Handle;
  driver: Driver;
  choice: BackendChoice;
}

export interface CreateHooks {
  /** Called once the backend is chosen, with the spec resolved for it (the CLI prints the choice and warnings). */
  onChoice?: (choice: BackendChoice, spec: ResolvedSpec) => void;
  /** Progress of slow preparation (building an image); called with null when it is over. */
  onProgress?: (msg: string | null) => void;
  /** Bytes of downloads and builds (image layers, a kernel fetched on first use, a base disk). */
  onTransfer?: TransferHook;
  /** Warnings (an image built from a mirror that lacks something, a layer berth could not apply fully). */
  onWarning?: (msg: string) => void;
}

/** Create and start an environment (attached to our stdio unless spec.detach). */
/** @param source where spec.backend came from (backend-setting.ts): recorded in the choice */
export function createAndStart(
  ctx: Context,
  asked: EnvSpec,
  hooks: CreateHooks = {},
  source?: string,
): Promise<Started> {
  return createEnv(ctx, asked, hooks, source, true);
}

/** Start an environment created without starting (Docker's create, then start). */
export async function startEnv(ctx: Context, ref: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(handle.id);
  const state = ctx.store.status(handle.id).state;
  if (state !== 'created')
    throw new StateError('not-created', `environment ${handle.name} was started before (it is ${state})`, {
      fix: 'create a new one; a started environment cannot be started again',
    });
  await driver.start(handle);
}

/** Create an environment and, when START, start it; a failure on the way leaves nothing behind. */
export async function createEnv(
  ctx: Context,
  asked: EnvSpec,
  hooks: CreateHooks,
  source: string | undefined,
  start: boolean,
): Promise<Started> {
  let template: PreparedEnv['template'];
  // run() and create() take --pool before this (api/pool-run.ts); anything else cannot claim.
  if (asked.pool !== undefined)
    throw new SpecError('pool-not-here', `--pool ${asked.pool} works with run only`, {
      fix: 'use berth run --pool NAME -- CMD (library: run or create with pool)',
    });
  if (asked.template !== undefined) {
    const { applyTemplate } = await import('./template-apply.js');
    ({ spec: asked, template } = applyTemplate(ctx, asked, source));
  }
  validateSpec(asked);
  // Capability names are checked on every backend (Docker: "unknown capability"), used by containers.
  effectiveCaps(asked.security.capAdd, asked.security.capDrop);
  const { driver, choice, spec, networkDefault } = await ctx.registry.select(asked, ctx.rootless, source);
  hooks.onChoice?.(choice, spec);
  const progress = {
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.onTransfer ? { onTransfer: hooks.onTransfer } : {}),
  };
  const warn = hooks.onWarning ? { onWarning: hooks.onWarning } : {};
  const revert = new Reverter();
  try {
    let image;
    try {
      image = await resolveImage(spec.image, ctx.paths.images, {
        rootless: ctx.rootless,
        insecure: spec.insecureRegistries,
        ...(spec.pull ? { pull: spec.pull } : {}),
        ...progress,
        ...warn,
      });
    } catch (e) {
      hooks.onProgress?.(null);
      throw e;
    }
    // Before anything is recorded: a run with nothing to execute is refused here.
    const command = resolveCommand(image.config, spec);
    const ports = await hostPortsPicked(spec.ports);
    const rec = await ctx.store.allocate(spec.name, (id, name): EnvRecord => {
      const hostname = spec.hostname ?? shortId(id);
      return {
        id,
        name,
        backend: driver.name,
        choice,
        spec: { ...spec, ports, hostname },
        image,
        rootless: ctx.rootless,
        hostname,
        command,
        createdAt: new Date().toISOString(),
        driverData: {},
        ...(networkDefault ? { defaults: { network: networkDefault } } : {}),
      };
    });
    const dir = ctx.store.dirOf(rec.id);
    revert.add(() => ctx.store.removeDir(rec.id));
    let handle;
    try {
      handle = await driver.create({
        id: rec.id,
        name: rec.name,
        dir,
        spec: rec.spec,
        image,
        rootless: ctx.rootless,
        ...progress,
        ...(template ? { template } : {}),
      });
    } finally {
      hooks.onProgress?.(null);
    }
    revert.add(() => driver.remove(handle, { force: true }));
    if (start) await driver.start(handle);
    revert.success();
    return { handle, driver, choice };
  } catch (e) {
    await revert.revert();
    throw e;
  }
}

/** -p without a host port: a free one, picked now and recorded, so port, inspect and ps show it (Docker's -p 80). */
async function hostPortsPicked(ports: EnvSpec['ports']): Promise<EnvSpec['ports']> {
  if (ports.every((p) => p.hostPort !== 0)) return ports;
  const { pickFreeHostPorts } = await import('../network/attach/host-ports.js');
  return pickFreeHostPorts(ports);
}

export interface Resolved {
  record: EnvRecord;
  handle: Handle;
  driver: Driver;
}

export function resolveEnv(ctx: Context, ref: string): Resolved {
  const record = ctx.store.find(ref);
  const driver = ctx.registry.get(record.backend);
  return {
    record,
    driver,
    handle: { id: record.id, name: record.name, backend: record.backend, dir: ctx.store.dirOf(record.id) },
  };
}

export async function execIn(ctx: Context, ref: string, argv: string[], opts: ExecOptions): Promise<ExitResult> {
  checkNoNul('a command argument', argv);
  checkNoNul(
    'an environment variable',
    Object.entries(opts.env).map(([k, v]) => `${k}=${v}`),
  );
  checkNoNul('the user', [opts.user]);
  checkNoNul('the workdir', [opts.workdir]);
  const { driver, handle } = resolveEnv(ctx, ref);
  // A frozen environment would hold the exec until unpause: refuse it, as Docker does.
  if (ctx.store.status(handle.id).state === 'paused') {
    throw new StateError('paused', `environment ${handle.name} is paused`, {
      fix: `unpause it first: berth unpause ${handle.name}`,
    });
  }
  return driver.exec(handle, argv, opts);
}

export async function stopEnv(ctx: Context, ref: string, timeoutMs: number): Promise<ExitResult | undefined> {
  const { driver, handle } = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(handle.id);
  return driver.stop(handle, { timeoutMs });
}

/** Send SIGNAL; a paused environment is then resumed so it can act on it (Docker's order). */
export async function killEnv(ctx: Context, ref: string, signal: string): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  const paused = ctx.store.status(handle.id).state === 'paused';
  await driver.signal(handle, signal);
  if (paused && driver.resume) {
    await driver.resume(handle);
    ctx.store.markState(handle.id, 'resumed');
  }
}

export async function removeEnv(ctx: Context, ref: string, force: boolean): Promise<void> {
  const { driver, handle } = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(handle.id);
  await driver.remove(handle, { force });
}

/** Remove environment ID as rm -f does, unless it is gone already (--rm: its CLI and its monitor may both try). */
export async function removeIfPresent(ctx: Context, id: string): Promise<void> {
  using _lock = await ctx.store.envLock(id);
  const record = ctx.store.readRecord(id);
  if (!record) return;
  const driver = ctx.registry.get(record.backend);
  await driver.remove({ id, name: record.name, backend: record.backend, dir: ctx.store.dirOf(id) }, { force: true });
}

export async function waitEnv(ctx: Context, ref: string): Promise<ExitResult> {
  const { driver, handle } = resolveEnv(ctx, ref);
  return driver.wait(handle);
}

export interface EnvSummary {
  id: string;
  name: string;
  backend: string;
  image: string;
  command: string[];
  createdAt: string;
  status: Status;
  /** Published ports as recorded (a `-p` without a host port holds the one picked at creation). */
  ports: EnvRecord['spec']['ports'];
}

/** Every environment with its reconciled status; leftovers of crashed creations are cleaned up. */
export function listEnvs(ctx: Context, all: boolean): EnvSummary[] {
  ctx.store.sweepOrphans();
  const out: EnvSummary[] = [];
  for (const r of ctx.store.list()) {
    const status = ctx.store.status(r.id);
    if (!all && status.state !== 'running' && status.state !== 'paused') continue;
    out.push({
      id: r.id,
      name: r.name,
      backend: r.backend,
      image: r.image.ref,
      command: r.command.argv,
      createdAt: r.createdAt,
      status,
      ports: r.spec.ports,
    });
  }
  return out;
}

export function inspectEnv(
  ctx: Context,
  ref: string,
): {
  record: EnvRecord;
  status: Status;
  capabilities: ReturnType<Driver['capabilities']>;
  limits: unknown;
  network: NetworkState;
} {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  const fallback: NetworkState = { mode: record.spec.resolved.network.kind, ports: [] };
  const network =
    readNetworkState(handle.dir) ??
    (fallback.mode === 'none' ? { ...fallback, interface: 'lo', ip: '127.0.0.1', prefix: 8 } : fallback);
  return {
    record,
    status: ctx.store.status(record.id),
    capabilities: driver.capabilities(),
    limits: driver.enforcement(handle) ?? 'none enforced by this backend',
    network,
  };
}

/**
 * A running environment on a backend that can pause, in the state VERB needs; otherwise Docker's
 * answer ("already paused", "not paused"), exit 125, nothing changed. The caller holds its lock.
 */
function checkPausable(ctx: Context, r: Resolved, verb: 'pause' | 'unpause'): void {
  const { id, name } = r.record;
  ctx.store.runningPids(id, name);
  const paused = ctx.store.readState(id)?.state === 'paused';
  if (verb === 'pause' && paused) {
    throw new StateError('already-paused', `environment ${name} is already paused`, {
      fix: `resume it with "berth unpause ${name}"`,
    });
  }
  if (verb === 'unpause' && !paused) {
    throw new StateError('not-paused', `environment ${name} is not paused`, {
      fix: 'nothing to resume: it is running',
    });
  }
  if (!r.driver.capabilities().pause) {
    throw new DriverError('no-pause', `the ${r.driver.name} backend cannot pause environments`, {
      fix: 'use --backend container',
    });
  }
}

export async function pauseEnv(ctx: Context, ref: string): Promise<void> {
  const r = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(r.handle.id);
  checkPausable(ctx, r, 'pause');
  await r.driver.pause(r.handle);
  ctx.store.markState(r.handle.id, 'paused');
}

export async function resumeEnv(ctx: Context, ref: string): Promise<void> {
  const r = resolveEnv(ctx, ref);
  using _lock = await ctx.store.envLock(r.handle.id);
  checkPausable(ctx, r, 'unpause');
  await r.driver.resume(r.handle);
  ctx.store.markState(r.handle.id, 'resumed');
}

export async function statsOf(ctx: Context, ref: string): Promise<EnvStats> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  ctx.store.runningPids(record.id, record.name);
  return driver.stats(handle);
}

/** A VM's processes come from inside the guest; a shim environment's are the host processes in its mount namespace. */
export async function processesOf(ctx: Context, ref: string): Promise<EnvProcess[]> {
  const { record, driver, handle } = resolveEnv(ctx, ref);
  ctx.store.runningPids(record.id, record.name);
  return driver.processes(handle);
}

/** Remove (force) every environment whose labels match SEL; returns their names. */
export async function removeLabelled(ctx: Context, sel: LabelSelector): Promise<string[]> {
  const removed: string[] = [];
  for (const r of ctx.store.list()) {
    if (!matchesLabel(r.spec.labels, sel)) continue;
    try {
      await removeEnv(ctx, r.id, true);
      removed.push(r.name);
    } catch (e) {
      // Gone meanwhile (removed by its owner): not an error for a sweep.
      if (ctx.store.list().some((x) => x.id === r.id)) throw e;
    }
  }
  return removed;
}
