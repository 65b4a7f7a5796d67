/**
 * berth's public library API. The CLI imports only this module.
 *
 *   import * as berth from 'berth';
 *   await using env = await berth.create({ image: 'busybox', command: ['sleep', '600'] });
 *   const r = await env.exec(['true']);
 */
import { makeContext, type Context, type ContextOptions } from './api/context.js';
import { createAndStart, listEnvs, inspectEnv, execIn, stopEnv, killEnv, removeEnv, waitEnv, pauseEnv, resumeEnv, statsOf, processesOf, type CreateHooks } from './api/lifecycle.js';
import { Environment } from './api/environment.js';
import { readLogs, type LogOptions } from './api/logs.js';
import { defaultSpec, type EnvSpec } from './core/spec.js';
import type { ExecOptions, ExitResult } from './drivers/driver.js';
import type { BackendChoice } from './core/env-store.js';
import type { CommitEnvOptions } from './images/commit/api.js';

export * from './core/errors.js';
export type { EnvSpec, BackendName, IsolationLevel, Mount, Limits, SecurityOptions } from './core/spec.js';
export type { Probe, Capabilities, ExitResult, Status, ExecOptions, EnvState, EnvStats } from './drivers/driver.js';
export type { EnvProcess } from './api/processes.js';
export type { BackendChoice, EnvRecord } from './core/env-store.js';
export type { EnvSummary } from './api/lifecycle.js';
export type { LogRecord } from './core/cri-log.js';
export type { LogOptions } from './api/logs.js';
export type { ContextOptions } from './api/context.js';
export type { CommitEnvOptions } from './images/commit/api.js';
export { Environment } from './api/environment.js';
export { recordText } from './core/cri-log.js';
export { parseSize, parsePositiveNumber } from './core/units.js';
export { parseEnvArgs } from './core/env-vars.js';
export { formatPort, type PortMapping } from './network/port-format.js';
export type { NetworkRecord } from './network/network-store.js';
export type { NetworkState } from './network/network-state.js';
export type { DoctorReport } from './api/doctor.js';
export { BACKEND_NAMES } from './core/spec.js';

export type SpecInput = Partial<EnvSpec> & ContextOptions & CreateHooks;

let shared: Context | undefined;
function ctxFor(opts: ContextOptions = {}): Context {
  if (opts.root) return makeContext(opts);
  return (shared ??= makeContext());
}

function specOf(input: SpecInput): EnvSpec {
  const { root: _r, onChoice: _c, onProgress: _p, ...spec } = input;
  const base = defaultSpec();
  return defaultSpec({ ...spec, security: { ...base.security, ...spec.security } });
}

export interface RunResult extends ExitResult {
  id: string;
  name: string;
  backend: string;
  choice: BackendChoice;
}

/**
 * Run a command: attached to this process's stdio (like `docker run`) unless `detach`.
 * Returns the command's exit status; with `autoRemove` the environment is removed afterwards.
 */
export async function run(input: SpecInput): Promise<RunResult> {
  const ctx = ctxFor(input);
  const spec = specOf(input);
  const { handle, driver, choice } = await createAndStart(ctx, spec, input);
  const base = { id: handle.id, name: handle.name, backend: handle.backend, choice };
  if (spec.detach) return { ...base, exitCode: 0 };
  let res: ExitResult | undefined;
  try {
    res = await driver.wait(handle);
    return { ...base, ...res };
  } finally {
    // A detached session keeps running: --rm then applies when it is removed by hand.
    if (spec.autoRemove && !res?.detached) await driver.remove(handle, { force: true });
  }
}

/** Create and start a detached environment; dispose it (or call remove()) to clean up. */
export async function create(input: SpecInput): Promise<Environment> {
  const ctx = ctxFor(input);
  const spec = specOf({ ...input, detach: true });
  const { handle, choice } = await createAndStart(ctx, spec, input);
  return new Environment(ctx, handle.id, handle.name, handle.backend, choice);
}

/** Attach to an existing environment by id, id prefix or name. */
export function get(ref: string, opts: ContextOptions = {}): Environment {
  const ctx = ctxFor(opts);
  const rec = ctx.store.find(ref);
  return new Environment(ctx, rec.id, rec.name, rec.backend, rec.choice);
}

export function exec(ref: string, argv: string[], opts: Partial<ExecOptions> & ContextOptions = {}): Promise<ExitResult> {
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

export function logs(ref: string, opts: LogOptions & ContextOptions = {}) {
  const ctx = ctxFor(opts);
  return readLogs(ctx.store, ctx.store.find(ref).id, opts);
}

/** Every backend with its probe result and capabilities, strongest first. */
export async function backends(opts: ContextOptions = {}) {
  const ctx = ctxFor(opts);
  const probes = await ctx.registry.probeAll();
  return probes.map(({ name, probe }) => ({ name, probe, capabilities: ctx.registry.get(name).capabilities() }));
}

/** Per backend whether it works here and why not, with the host findings behind it. */
export async function doctor(opts: ContextOptions = {}) {
  const { runDoctor } = await import('./api/doctor.js');
  return runDoctor(ctxFor(opts));
}

/** Freeze every process of an environment (container backend: the cgroup freezer). */
export function pause(ref: string, opts: ContextOptions = {}): Promise<void> {
  return pauseEnv(ctxFor(opts), ref);
}

export function unpause(ref: string, opts: ContextOptions = {}): Promise<void> {
  return resumeEnv(ctxFor(opts), ref);
}

/** CPU, memory and pids use from the environment's cgroups. */
export function stats(ref: string, opts: ContextOptions = {}) {
  return statsOf(ctxFor(opts), ref);
}

/** The host processes of a running environment. */
export function top(ref: string, opts: ContextOptions = {}) {
  return processesOf(ctxFor(opts), ref);
}

/** Pull a registry image into the store (always asks the registry). */
export async function pull(ref: string, opts: { insecure?: string[]; onProgress?: (m: string) => void } & ContextOptions = {}) {
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
  return prune(ctxFor(opts));
}

/** Turn an environment's changes into a new image (one layer on top of its image), runnable at once. */
export async function commit(envRef: string, imageRef: string, opts: CommitEnvOptions & ContextOptions = {}) {
  const { commitEnv } = await import('./images/commit/api.js');
  const { root, ...rest } = opts;
  return commitEnv(ctxFor(root ? { root } : {}), envRef, imageRef, rest);
}

/** Give a stored image another name. */
export async function tag(source: string, target: string, opts: ContextOptions = {}) {
  const { tagImage } = await import('./api/images.js');
  return tagImage(ctxFor(opts), source, target);
}

/** Create a bridge network (root): its bridge, subnet and NAT table in berth's network namespace. */
export async function networkCreate(name: string, opts: { subnet?: string } & ContextOptions = {}) {
  const { createNetwork } = await import('./api/networks.js');
  return createNetwork(ctxFor(opts), name, opts.subnet);
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

/** Parse `-p [IP:]HOST:GUEST[/tcp|udp]` values (one SpecError naming the bad one). Loaded lazily. */
export async function parsePortSpecs(specs: string[]) {
  if (specs.length === 0) return [];
  const { parsePortSpecs: parse } = await import('./network/port-spec.js');
  return parse(specs);
}
