/**
 * berth's public library API. The CLI imports only this module.
 *
 *   import * as berth from 'berth';
 *   await using env = await berth.create({ image: 'busybox', command: ['sleep', '600'] });
 *   const r = await env.exec(['true']);
 */
import { makeContext, type Context, type ContextOptions } from './api/context.js';
import {
  removeLabelled,
  createAndStart,
  createEnv,
  startEnv,
  listEnvs,
  inspectEnv,
  execIn,
  stopEnv,
  killEnv,
  removeEnv,
  removeIfPresent,
  waitEnv,
  pauseEnv,
  resumeEnv,
  statsOf,
  processesOf,
  resolveEnv,
  type CreateHooks,
} from './api/lifecycle.js';
import { Environment } from './api/environment.js';
import type { TerminalSize } from './drivers/driver.js';
import type { WaitStrategy } from './api/wait-for.js';
import { parseLabelSelector } from './api/labels.js';
import { SESSION_LABEL, holdSession, reapWhenOrphaned, sessionId } from './api/session.js';
import { readLogs, readLogBatches, type LogOptions } from './api/logs.js';
import { defaultSpec, type EnvSpec } from './core/spec.js';
import { commandOf } from './core/command.js';
import { requestedBackend } from './core/backend-setting.js';
import { pullPolicyOf, type PullPolicy } from './core/pull-policy.js';
import type { TransferHook } from './core/transfer.js';
import type { EnvStats, ExecOptions, ExitResult } from './drivers/driver.js';
import type { EnvProcess } from './host/ns-processes.js';
import type { BackendChoice } from './core/env-store.js';
import type { CommitEnvOptions } from './api/commit.js';
import type { BaseDiskRequest } from './api/disks.js';
import type { PullOptions } from './api/images.js';
import { openEnvStdin } from './api/env-stdin.js';
import { releaseHeldEnv, startHeldEnv } from './api/start-held.js';
import { resizeEnv } from './api/env-resize.js';
import type { Writable } from 'node:stream';
import type { InsidePath } from './api/env-archive.js';

export * from './core/errors.js';
export type { EnvSpec, BackendName, IsolationLevel, Mount, Limits, SecurityOptions } from './core/spec.js';
export type { ResolvedSpec, ResolvedOptions } from './core/resolved-spec.js';
export type { NetworkMode } from './core/network-mode.js';
export type {
  Probe,
  Capabilities,
  ExitResult,
  Status,
  ExecOptions,
  EnvState,
  EnvStats,
  TerminalSize,
  TerminalResizes,
} from './drivers/driver.js';
export { heldCommand } from './api/start-held.js';
export type { EnvProcess } from './host/ns-processes.js';
export type { BackendChoice, EnvRecord } from './core/env-store.js';
export type { EnvSummary } from './api/lifecycle.js';
export type { LogRecord } from './core/cri-log.js';
export type { LogOptions } from './api/logs.js';
export type { InsidePath } from './api/env-archive.js';
export type { Change } from './api/env-diff.js';
export type { ContextOptions } from './api/context.js';
export type { CommitEnvOptions } from './api/commit.js';
export type { BaseDiskRequest } from './api/disks.js';
export type { BaseDisk } from './disks/base-disk.js';
export type { Kernel } from './kernels/kernel.js';
export type { KernelListing } from './kernels/list.js';
export type { PullOptions } from './api/images.js';
export type { TemplateRecord, TemplateMachine } from './templates/template-record.js';
export type { PoolRecord } from './pools/pool-record.js';
export type { PoolSummary } from './api/pools.js';
export { Environment } from './api/environment.js';
export { waitFor, type WaitStrategy, type Waitable } from './api/wait-for.js';
export type { ExecResult, EnvExecOptions } from './api/exec-result.js';
export { SESSION_LABEL, sessionId } from './api/session.js';
export { recordText, recordBytes, parseSince } from './core/cri-log.js';
export { VERSION } from './version.js';
export { parseSize, parsePositiveNumber } from './core/units.js';
export { parsePoolSize } from './pools/pool-record.js';
export { refuseWithFrom } from './templates/template-record.js';
import { refuseWithFrom } from './templates/template-record.js';
export { pullPolicyOf, PULL_POLICIES, type PullPolicy } from './core/pull-policy.js';
export type { Transfer, TransferHook } from './core/transfer.js';
export { isNoSpace } from './core/no-space.js';
export { asNoSpaceError } from './host/no-space-error.js';
export { parseEnvArgs } from './core/env-vars.js';
export { DEFAULT_DETACH_KEYS, detachMatcher, parseDetachKeys } from './core/detach-keys.js';
export { formatPort, formatPublished, dockerPortBindings, type PortMapping } from './core/port-format.js';
export type { NetworkRecord } from './network/network-store.js';
export type { NetworkState } from './network/network-state.js';
export type { DoctorReport } from './api/doctor.js';
export { BACKEND_NAMES } from './core/spec.js';
/** An environment's id as ps and stats show it (12 hex digits, as Docker's). */
export { shortId } from './core/names.js';
export {
  configFiles,
  requestedBackend,
  BACKEND_SETTINGS,
  type BackendRequest,
  type BackendSetting,
} from './core/backend-setting.js';
export { describeChoice } from './drivers/choice-text.js';

/**
 * `pull: true` (the earlier boolean) still means 'always'; a string `command` is Docker's shell form,
 * run as `/bin/sh -c COMMAND` (core/command.ts commandOf).
 */
export type SpecInput = Omit<Partial<EnvSpec>, 'pull' | 'command'> & {
  pull?: PullPolicy | boolean;
  command?: string[] | string;
} & ContextOptions &
  CreateHooks;

let shared: Context | undefined;
function ctxFor(opts: ContextOptions = {}): Context {
  if (opts.root) return makeContext(opts);
  return (shared ??= makeContext());
}

/** The spec asked for, with the backend defaulted once (backend-setting.ts), and where it came from. */
function specOf(input: SpecInput): { spec: EnvSpec; source: string } {
  const { root: _r, onChoice: _c, onProgress: _p, onTransfer: _t, onWarning: _w, pull, command, ...spec } = input;
  const base = defaultSpec();
  const req = requestedBackend(spec.backend);
  const policy = pullPolicyOf(pull);
  return {
    spec: defaultSpec({
      ...spec,
      command: commandOf(command),
      backend: req.backend,
      security: { ...base.security, ...spec.security },
      ...(policy ? { pull: policy } : {}),
    }),
    source: req.source,
  };
}

export interface RunResult extends ExitResult {
  id: string;
  name: string;
  backend: string;
  choice: BackendChoice;
}

/**
 * Run a command: attached to this process's stdio (like `docker run`) unless `detach`.
 * Returns the command's exit status; with `autoRemove` the environment is removed when the
 * command ends: here when attached, else by its monitor (ADR 0041).
 */
export async function run(input: SpecInput): Promise<RunResult> {
  const ctx = ctxFor(input);
  if (input.pool !== undefined) {
    const { checkPoolRunOptions } = await import('./pools/pool-record.js');
    checkPoolRunOptions(input.pool, input);
    const { runFromPool } = await import('./api/pool-run.js');
    const { spec } = specOf({ ...input, backend: 'auto' });
    const { warm: _warm, ...res } = await runFromPool(ctx, spec, input, input.root);
    return res;
  }
  const { spec, source } = specOf(input);
  const { handle, driver, choice } = await createAndStart(ctx, spec, input, source);
  const base = { id: handle.id, name: handle.name, backend: handle.backend, choice };
  if (spec.detach) return { ...base, exitCode: 0 };
  let res: ExitResult | undefined;
  try {
    res = await driver.wait(handle);
    return { ...base, ...res };
  } finally {
    // A session detached with Ctrl-P Ctrl-Q runs on: its monitor removes it when it ends.
    if (spec.autoRemove && !res?.detached) await removeIfPresent(ctx, handle.id);
  }
}

export interface CreateInput extends SpecInput {
  /** Wait for this after start (see `waitFor`); on timeout the environment is removed and the call fails. */
  waitFor?: WaitStrategy;
  waitTimeoutMs?: number;
  /**
   * Label the environment with this process's session and start the session reaper, which removes
   * what is left when this process dies, even by SIGKILL (default true; false keeps it after exit).
   */
  session?: boolean;
}

/** Create and start a detached environment; dispose it (or call remove()) to clean up. */
export async function create(input: CreateInput): Promise<Environment> {
  const ctx = ctxFor(input);
  const { waitFor: strategy, waitTimeoutMs, session = true, ...rest } = input;
  const labels = session ? { ...rest.labels, [SESSION_LABEL]: sessionId() } : rest.labels;
  // Before the environment exists: a kill from here on leaves it to the reaper.
  const release = session ? await holdSession(input.root) : undefined;
  let env: Environment;
  if (input.pool !== undefined) {
    // An idle member of the pool, claimed: it runs the idle command; exec what you need in it.
    const { checkPoolRunOptions } = await import('./pools/pool-record.js');
    checkPoolRunOptions(input.pool, { ...rest, detach: false });
    const { takeFromPool } = await import('./api/pool-run.js');
    const { spec } = specOf({ ...rest, ...(labels ? { labels } : {}), backend: 'auto', detach: true });
    const got = await takeFromPool(ctx, spec, input, input.root);
    env = new Environment(ctx, got.id, got.name, got.backend, got.choice, release);
  } else {
    const { spec, source } = specOf({ ...rest, ...(labels ? { labels } : {}), detach: true });
    const { handle, choice } = await createAndStart(ctx, spec, input, source);
    env = new Environment(ctx, handle.id, handle.name, handle.backend, choice, release);
  }
  if (strategy) {
    try {
      await env.waitFor(strategy, waitTimeoutMs !== undefined ? { timeoutMs: waitTimeoutMs } : {});
    } catch (e) {
      await env.remove(true);
      throw e;
    }
  }
  return env;
}

/**
 * Make template NAME (docs/templates.md): run `input.command` (the setup; nothing = `true`) in a
 * new environment and keep the result. microvm keeps the whole VM (memory, processes, disk) and
 * `run`/`create` with `template: NAME` resume a clone of it; container and chroot keep the
 * committed filesystem. Returns the template's record (what was kept, time taken, size).
 * `from: ENV` instead makes it of that running environment, which keeps running (ADR 0064).
 */
export async function createTemplate(name: string, input: SpecInput & { from?: string } = {}) {
  const { from, ...rest } = input;
  if (from !== undefined) {
    const hooksAndRoot = ['root', 'onChoice', 'onProgress', 'onTransfer', 'onWarning'];
    refuseWithFrom(
      Object.entries(rest)
        .filter(([k, v]) => v !== undefined && !hooksAndRoot.includes(k))
        .map(([k]) => k),
    );
    const { createTemplateFrom } = await import('./api/template-from.js');
    return createTemplateFrom(ctxFor(input), name, from, input.onWarning);
  }
  const { createTemplate: make } = await import('./api/templates.js');
  const ctx = ctxFor(input);
  const { spec, source } = specOf(input);
  return make(ctx, name, spec, input, source, input.root);
}

/**
 * Make warm pool NAME (docs/pools.md): `size` environments of `input` (run options and image, no
 * command) booted now and kept idle; `run({ pool: NAME, command })` claims one, and a refill
 * boots its replacement in the background.
 */
export async function createPool(name: string, input: SpecInput & { size: number }) {
  const { createPool: make } = await import('./api/pools.js');
  const { parsePoolSize } = await import('./pools/pool-record.js');
  const { size, ...rest } = input;
  const n = parsePoolSize(size);
  const ctx = ctxFor(input);
  const { spec, source } = specOf(rest);
  return make(ctx, name, n, spec, input, source);
}

/** Every pool with its idle and booting members (leftovers of killed refills are removed first). */
export async function pools(opts: ContextOptions = {}) {
  const { listPools } = await import('./api/pools.js');
  return listPools(ctxFor(opts));
}

/** Remove a pool and its idle members; refused while environments claimed from it run, unless `force` (they go too). */
export async function removePool(name: string, opts: { force?: boolean } & ContextOptions = {}) {
  const { removePool: rm } = await import('./api/pools.js');
  return rm(ctxFor(opts), name, opts.force ?? false);
}

/** The refill's entry (`berth __pool-refill NAME`, started after a claim): boot one member if the pool is short. */
export async function refillPool(name: string, opts: ContextOptions = {}) {
  const { refillPool: refill } = await import('./api/pools.js');
  return refill(ctxFor(opts), name);
}

/** Every template, oldest name first. */
export async function templates(opts: ContextOptions = {}) {
  const { templates: list } = await import('./api/templates.js');
  return list(ctxFor(opts));
}

/** A template's record, its directory, and the environments started from it. */
export async function inspectTemplate(name: string, opts: ContextOptions = {}) {
  const { inspectTemplate: inspectT } = await import('./api/templates.js');
  return inspectT(ctxFor(opts), name);
}

/** Remove a template; refused while clones run unless `force` (running clones keep its files open). */
export async function removeTemplate(name: string, opts: { force?: boolean } & ContextOptions = {}) {
  const { removeTemplate: rm } = await import('./api/templates.js');
  return rm(ctxFor(opts), name, opts.force ?? false);
}

/**
 * Create an environment without starting it (Docker's `create`): the image is resolved, the record
 * and the backend's state are written, nothing runs until `start`. Always detached; no session label.
 */
export async function createStopped(
  input: SpecInput,
): Promise<{ id: string; name: string; backend: string; choice: BackendChoice }> {
  const ctx = ctxFor(input);
  const { spec, source } = specOf({ ...input, detach: true });
  const { handle, choice } = await createEnv(ctx, spec, input, source, false);
  return { id: handle.id, name: handle.name, backend: handle.backend, choice };
}

/** Start an environment made by `createStopped` (once: a started one is refused with StateError not-created). */
export function start(ref: string, opts: ContextOptions = {}): Promise<void> {
  return startEnv(ctxFor(opts), ref);
}

/**
 * Start an environment made by `createStopped` attached to this process's stdio, as `run` does
 * (Docker's `start -a`; `interactive`: stdin too, if it was created with it), and wait for it.
 */
export async function startAttached(
  ref: string,
  opts: { interactive?: boolean } & ContextOptions = {},
): Promise<ExitResult> {
  const { startAttachedEnv } = await import('./api/start-attached.js');
  return startAttachedEnv(ctxFor(opts), ref, opts.interactive ?? false);
}

/** Stop (TERM, then KILL after `timeoutMs`) and start again in the background, keeping the filesystem. */
export async function restart(ref: string, opts: { timeoutMs?: number } & ContextOptions = {}): Promise<void> {
  const { restartEnv } = await import('./api/restart.js');
  return restartEnv(ctxFor(opts), ref, opts.timeoutMs ?? 10_000);
}

/** Give an environment another name (unique, as at creation). */
export function rename(ref: string, name: string, opts: ContextOptions = {}): void {
  const ctx = ctxFor(opts);
  ctx.store.rename(ctx.store.find(ref).id, name);
}

/**
 * Copy PATH inside a running environment to the host path DEST (Docker's cp rules: into an
 * existing directory, else as DEST; `DIR/.` copies the contents), or as a tar stream onto DEST;
 * or, when DEST is a function, as a tar stream onto the stream it returns when called with PATH's
 * stat, before the tar's first byte (not called when the copy is refused). One exec.
 */
export async function copyFrom(
  ref: string,
  path: string,
  dest: string | NodeJS.WritableStream | ((stat: InsidePath) => NodeJS.WritableStream),
  opts: ContextOptions = {},
) {
  const { copyFromEnv } = await import('./api/env-archive.js');
  return copyFromEnv(ctxFor(opts), ref, path, dest as Parameters<typeof copyFromEnv>[3]);
}

/**
 * Copy the host path SRC, or a tar stream (extracted into the directory PATH), into a running
 * environment: one exec, which reads SRC only once PATH passed its checks, as the exec takes it.
 */
export async function copyTo(
  ref: string,
  src: string | NodeJS.ReadableStream,
  path: string,
  opts: ContextOptions = {},
) {
  const { copyToEnv } = await import('./api/env-archive.js');
  return copyToEnv(ctxFor(opts), ref, src as string | import('node:stream').Readable, path);
}

/** What an environment changed against its image: A added, C changed, D deleted (every backend). */
export async function diff(ref: string, opts: ContextOptions = {}) {
  const { diffEnv } = await import('./api/env-diff.js');
  return diffEnv(ctxFor(opts), ref);
}

/**
 * Start an environment made by `createStopped` with its command held (the image's sh waits), so
 * files can be copied in before it runs (Docker's archive before start); `releaseHeld` runs it.
 */
export function startHeld(ref: string, opts: ContextOptions = {}): Promise<void> {
  return startHeldEnv(ctxFor(opts), ref);
}

/** Run the command of an environment started with `startHeld`. */
export function releaseHeld(ref: string, opts: ContextOptions = {}): Promise<void> {
  return releaseHeldEnv(ctxFor(opts), ref);
}

/**
 * The stdin of a running, detached environment made with -i (every backend): what is written
 * goes to its command (its terminal with -t); ending the stream is EOF without a terminal.
 */
export function openStdin(ref: string, opts: ContextOptions = {}): Promise<Writable> {
  return openEnvStdin(ctxFor(opts), ref);
}

/** Resize the terminal of a running environment made with -t and detached (every backend). */
export function resize(ref: string, size: TerminalSize, opts: ContextOptions = {}): Promise<void> {
  return resizeEnv(ctxFor(opts), ref, size);
}

/**
 * A stored image's digest and config (ENTRYPOINT, CMD, ENV, WORKDIR, USER), without fetching:
 * an image not in the store is an ImageError. The builtin busybox is built on first use.
 */
export async function image(ref: string, opts: ContextOptions = {}) {
  const { resolveImage } = await import('./images/resolve.js');
  const ctx = ctxFor(opts);
  const img = await resolveImage(ref, ctx.paths.images, { rootless: ctx.rootless, pull: 'never' });
  return { ref: img.ref, digest: img.digest, config: img.config };
}

/** Remove every environment carrying a label (`KEY` or `KEY=VALUE`), running or not. */
export async function pruneEnvironments(label: string, opts: ContextOptions = {}): Promise<string[]> {
  const sel = parseLabelSelector(label);
  const ctx = ctxFor(opts);
  // A pool's leftovers (a killed refill's half member) go first, so they are not counted as removed here.
  const { sweepPools } = await import('./api/pools.js');
  await sweepPools(ctx);
  return removeLabelled(ctx, sel);
}

/** The reaper's entry (`berth __reap SESSION`): when stdin closes, remove the session's environments. */
export function reapSession(session: string, opts: ContextOptions = {}): Promise<void> {
  return reapWhenOrphaned(async () => {
    await removeLabelled(ctxFor(opts), { key: SESSION_LABEL, value: session });
  });
}

/** Attach to an existing environment by id, id prefix or name. */
export function get(ref: string, opts: ContextOptions = {}): Environment {
  const ctx = ctxFor(opts);
  const rec = ctx.store.find(ref);
  return new Environment(ctx, rec.id, rec.name, rec.backend, rec.choice);
}

export function exec(
  ref: string,
  argv: string[],
  opts: Partial<ExecOptions> & ContextOptions = {},
): Promise<ExitResult> {
  const { root, ...rest } = opts;
  return execIn(ctxFor(root ? { root } : {}), ref, argv, { tty: false, interactive: false, env: {}, ...rest });
}

export function stop(ref: string, opts: { timeoutMs?: number } & ContextOptions = {}): Promise<ExitResult | undefined> {
  return stopEnv(ctxFor(opts), ref, opts.timeoutMs ?? 10_000);
}

export function kill(ref: string, signal = 'KILL', opts: ContextOptions = {}): Promise<void> {
  return killEnv(ctxFor(opts), ref, signal);
}

export function remove(ref: string, opts: { force?: boolean } & ContextOptions = {}): Promise<void> {
  return removeEnv(ctxFor(opts), ref, opts.force ?? false);
}

export function wait(ref: string, opts: ContextOptions = {}): Promise<ExitResult> {
  return waitEnv(ctxFor(opts), ref);
}

export function list(opts: { all?: boolean } & ContextOptions = {}) {
  return listEnvs(ctxFor(opts), opts.all ?? false);
}

export function inspect(ref: string, opts: ContextOptions = {}) {
  return inspectEnv(ctxFor(opts), ref);
}

/** An environment's log, record by record; each record's `data` holds the command's bytes exactly. */
export function logs(ref: string, opts: LogOptions & ContextOptions = {}) {
  const ctx = ctxFor(opts);
  return readLogs(ctx.store, ctx.store.find(ref).id, opts);
}

/** The same records in batches (one read of at most 1 MiB each): for streaming a large log fast. */
export function logBatches(ref: string, opts: LogOptions & ContextOptions = {}) {
  const ctx = ctxFor(opts);
  return readLogBatches(ctx.store, ctx.store.find(ref).id, opts);
}

/** Every backend with its probe result and capabilities, strongest first. */
export async function backends(opts: ContextOptions = {}) {
  const ctx = ctxFor(opts);
  const probes = await ctx.registry.probeAll();
  return probes.map(({ name, probe }) => ({ name, probe, capabilities: ctx.registry.get(name).capabilities() }));
}

/**
 * Per backend whether it works here and why not, with the host findings behind it. Expensive
 * verdicts are cached per boot and redone when their inputs change; `refresh` redoes them all.
 */
export async function doctor(opts: { refresh?: boolean } & ContextOptions = {}) {
  const { runDoctor } = await import('./api/doctor.js');
  return runDoctor(ctxFor(opts), opts.refresh ? { refresh: true } : {});
}

/** Freeze every process of an environment (container backend: the cgroup freezer). */
export function pause(ref: string, opts: ContextOptions = {}): Promise<void> {
  return pauseEnv(ctxFor(opts), ref);
}

export function unpause(ref: string, opts: ContextOptions = {}): Promise<void> {
  return resumeEnv(ctxFor(opts), ref);
}

/** Save a running microvm's memory, device state and disk as checkpoint NAME (in its qcow2 overlay). */
export async function checkpoint(ref: string, name: string, opts: ContextOptions = {}): Promise<void> {
  const { checkpointEnv } = await import('./api/checkpoints.js');
  return checkpointEnv(ctxFor(opts), ref, name);
}

/** Put a running microvm back to checkpoint NAME (memory, devices, disk); it runs on from there. */
export async function restore(ref: string, name: string, opts: ContextOptions = {}): Promise<void> {
  const { restoreEnv } = await import('./api/checkpoints.js');
  return restoreEnv(ctxFor(opts), ref, name);
}

/** VM backends: accelerator and why, QMP run state, checkpoints (undefined for other backends). */
export async function machine(ref: string, opts: ContextOptions = {}): Promise<Record<string, unknown> | undefined> {
  // Not through api/checkpoints.js: `inspect` of every environment asks, and that is a cold module.
  const { driver, handle } = resolveEnv(ctxFor(opts), ref);
  return driver.machine(handle);
}

/**
 * Raw resource use now: cumulative CPU time, memory and its limit, pids, network and block I/O
 * bytes, and when they were read (CPU % = the CPU time between two reads over the time between).
 * From the cgroups where berth has them, else from the environment's host processes (a VM's:
 * its kernel or QEMU processes; the limit is the guest's RAM).
 */
export function stats(ref: string, opts: ContextOptions = {}): Promise<EnvStats> {
  return statsOf(ctxFor(opts), ref);
}

/** The processes of a running environment: host processes (chroot, container), the guest's own (uml, microvm). */
export function top(ref: string, opts: ContextOptions = {}): Promise<EnvProcess[]> {
  return processesOf(ctxFor(opts), ref);
}

/** Pull an image into the store: from a registry (always asks it), a tar: tarball (URL or path, `sha256` checked) or an archive. */
export async function pull(ref: string, opts: PullOptions & ContextOptions = {}) {
  const { pullInto } = await import('./api/images.js');
  const { root, ...rest } = opts;
  return pullInto(ctxFor(root ? { root } : {}), ref, rest);
}

/** Registry images in the store. */
export async function images(opts: ContextOptions = {}) {
  const { listImages } = await import('./api/images.js');
  return listImages(ctxFor(opts));
}

/** Remove a pulled image (and every blob and layer only it used). */
export async function rmi(ref: string, opts: { force?: boolean } & ContextOptions = {}) {
  const { removeImage } = await import('./api/images.js');
  return removeImage(ctxFor(opts), ref, opts.force ?? false);
}

/** Free blobs and unpacked layers that no image or environment uses. */
export async function pruneImages(opts: ContextOptions = {}) {
  const { pruneImages: prune } = await import('./api/images.js');
  const { sweepPools } = await import('./api/pools.js');
  await sweepPools(ctxFor(opts));
  return prune(ctxFor(opts));
}

/** Turn an environment's changes into a new image (one layer on top of its image), runnable at once. */
export async function commit(envRef: string, imageRef: string, opts: CommitEnvOptions & ContextOptions = {}) {
  const { commitEnv } = await import('./api/commit.js');
  const { root, ...rest } = opts;
  return commitEnv(ctxFor(root ? { root } : {}), envRef, imageRef, rest);
}

/**
 * The ext4 base disk VM backends boot `ref` from: built once per image (and size), shared
 * read-only. `sizeBytes` below what the image's files need is refused (DiskError disk-too-small).
 */
export async function baseDisk(ref: string, opts: BaseDiskRequest & ContextOptions = {}) {
  const { baseDiskOf } = await import('./api/disks.js');
  const { root, ...rest } = opts;
  return baseDiskOf(ctxFor(root ? { root } : {}), ref, rest);
}

/** Give a stored image another name. */
export async function tag(source: string, target: string, opts: ContextOptions = {}) {
  const { tagImage } = await import('./api/images.js');
  return tagImage(ctxFor(opts), source, target);
}

export type { MatrixSpec, Cell } from './api/matrix/cells.js';
export type { CellResult, CellState } from './api/matrix/report.js';
export { matrixSpec } from './api/matrix/cells.js';
export { junitXml, matrixRow, resultWord, MATRIX_HEADERS } from './api/matrix/report.js';

export type { SlurmMatrixOptions, ClusterProgress } from './api/matrix/slurm/run-slurm.js';
export type { CellRecord, MatrixPlan } from './api/matrix/remote/plan.js';
export type { KubernetesJobOptions } from './api/matrix/kubernetes/indexed-job.js';
export { DEFAULT_RESULTS_DIR } from './api/matrix/remote/plan.js';

/**
 * Run one command across backends x images x kernels: here, `jobs` cells at a time, or with
 * `on: 'slurm'` as one Slurm job array (one task per cell); the same results either way.
 */
export async function matrix(
  spec: import('./api/matrix/cells.js').MatrixSpec,
  opts:
    | ({ on?: 'local' } & import('./api/matrix/run.js').MatrixOptions)
    | import('./api/matrix/slurm/run-slurm.js').SlurmMatrixOptions,
) {
  if (opts.on === 'slurm') {
    const { runMatrixOnSlurm } = await import('./api/matrix/slurm/run-slurm.js');
    return runMatrixOnSlurm(spec, opts);
  }
  const { runMatrix } = await import('./api/matrix/run.js');
  return runMatrix(spec, opts, { create: (input) => create(input as CreateInput) });
}

/** One cell of a cluster matrix on this node (what the task script runs): its record, also written to the results directory. */
export async function matrixTask(planPath: string, index: number, opts: ContextOptions = {}) {
  const { runMatrixTask } = await import('./api/matrix/remote/run-task.js');
  return runMatrixTask(planPath, index, opts, { create: (input) => create(input as CreateInput) });
}

/**
 * A Kubernetes Indexed Job (one completion index per cell, the same task script) as a kubectl-ready
 * JSON List; writes the plan and the task script into the results directory as a Slurm run does.
 */
export async function matrixKubernetesJob(
  spec: import('./api/matrix/cells.js').MatrixSpec,
  opts: import('./api/matrix/kubernetes/indexed-job.js').KubernetesJobOptions,
) {
  const { kubernetesMatrixJob } = await import('./api/matrix/kubernetes/emit.js');
  return kubernetesMatrixJob(spec, opts);
}

/** Kernel manifests (uml, microvm) with the versions in the kernel cache. */
export async function kernels(opts: ContextOptions = {}) {
  const { kernelsOf } = await import('./api/kernels.js');
  return kernelsOf(ctxFor(opts));
}

/** Resolve a kernel by manifest name or path, fetching and verifying it into the cache if needed. */
export async function kernel(
  ref: string,
  opts: { onProgress?: (m: string) => void; onTransfer?: TransferHook; pull?: PullPolicy } & ContextOptions = {},
) {
  const { kernelFor } = await import('./api/kernels.js');
  const { root, ...rest } = opts;
  return kernelFor(ctxFor(root ? { root } : {}), ref, rest);
}

/**
 * Import an oci-archive or docker-archive file, or one read from a stream such as stdin (`berth
 * load`); returns what was recorded. An image the archive does not name is recorded as
 * `localhost/<image id>:latest` (the id as Docker shows it: 12 hex digits of its config digest).
 */
export async function load(input: string | NodeJS.ReadableStream, opts: ContextOptions = {}) {
  const { loadImages } = await import('./api/images.js');
  return loadImages(ctxFor(opts), input);
}

/** Write a stored image as an archive file, or onto a stream (`berth save`). */
export async function save(
  ref: string,
  out: string | NodeJS.WritableStream,
  opts: { format?: 'oci-archive' | 'docker-archive' } & ContextOptions = {},
) {
  const { saveImage } = await import('./api/images.js');
  return saveImage(ctxFor(opts), ref, out, opts.format ?? 'oci-archive');
}

/** An environment's root filesystem (image + changes) as one tar, to a file or a stream (`berth export`). */
export async function exportFs(envRef: string, out: string | NodeJS.WritableStream, opts: ContextOptions = {}) {
  const { exportEnv } = await import('./api/export.js');
  return exportEnv(ctxFor(opts), envRef, out as string | import('node:stream').Writable);
}

/** Check credentials against a registry and keep them (Podman's auth.json, or $REGISTRY_AUTH_FILE). */
export async function login(registry: string, username: string, password: string, opts: { insecure?: string[] } = {}) {
  const [{ login: doLogin }, { insecureList }, { registryHost }] = await Promise.all([
    import('./images/registry/login.js'),
    import('./images/oci-image.js'),
    import('./images/ref.js'),
  ]);
  const host = registryHost(registry);
  return {
    registry: host,
    file: await doLogin(host, username, password, { insecure: insecureList(host, opts.insecure) }),
  };
}

/** Forget a registry's credentials; false when none were stored. */
export async function logout(registry: string) {
  const [{ logout: doLogout }, { registryHost }] = await Promise.all([
    import('./images/registry/login.js'),
    import('./images/ref.js'),
  ]);
  return doLogout(registryHost(registry));
}

/** Create a bridge network (root): its bridge, subnet and NAT table in berth's network namespace. */
export async function networkCreate(name: string, opts: { subnet?: string; mtu?: number } & ContextOptions = {}) {
  const { createNetwork } = await import('./api/networks.js');
  return createNetwork(ctxFor(opts), name, opts.subnet, opts.mtu);
}

/** Every bridge network with its live environments. */
export async function networkList(opts: ContextOptions = {}) {
  const { listNetworks } = await import('./api/networks.js');
  return listNetworks(ctxFor(opts));
}

/** A network's record: subnet, bridge, and each attached environment's address and ports. */
export async function networkInspect(name: string, opts: ContextOptions = {}) {
  const { inspectNetwork } = await import('./api/networks.js');
  return inspectNetwork(ctxFor(opts), name);
}

/** Remove a network (refused while an environment uses it): bridge, NAT table and record. */
export async function networkRemove(name: string, opts: ContextOptions = {}) {
  const { removeNetwork } = await import('./api/networks.js');
  return removeNetwork(ctxFor(opts), name);
}

/** Parse `-p [IP:][HOST:]GUEST[/tcp|udp]` values (host port 0: a free one, picked at creation) (one SpecError naming the bad one). Loaded lazily. */
export async function parsePortSpecs(specs: string[]) {
  if (specs.length === 0) return [];
  const { parsePortSpecs: parse } = await import('./network/port-spec.js');
  return parse(specs);
}
