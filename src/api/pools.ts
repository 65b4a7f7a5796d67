/**
 * Warm pools (docs/pools.md, ADR 0057): `berth pool create|ls|rm` and the refill. A pool is a
 * record plus members, ordinary environments labelled berth.pool=NAME booted with the idle
 * command. No daemon: `pool create` boots the members; each claim (pool-run.ts) starts one
 * detached `berth __pool-refill NAME` that boots one replacement. What a builder killed half-way
 * left (a member not idle whose builder is dead) is removed by the next sweep: every refill,
 * `pool ls`, `pool rm` and `prune` sweeps.
 */
import { spawn } from 'node:child_process';
import type { Context } from './context.js';
import type { EnvSpec } from '../core/spec.js';
import { createAndStart, removeEnv, removeLabelled, type CreateHooks } from './lifecycle.js';
import { SpecError, StateError } from '../core/errors.js';
import { isProcessAlive } from '../core/process-identity.js';
import { cliPath } from './session.js';
import { validateSpec } from '../core/spec-validate.js';
import {
  checkPoolName,
  IDLE_COMMAND,
  memberSpec,
  POOL_BUILDER_LABEL,
  POOL_CLAIMED_LABEL,
  POOL_LABEL,
  type PoolRecord,
} from '../pools/pool-record.js';
import {
  builders,
  forgetBuilder,
  idleMembers,
  lockPool,
  markIdle,
  poolExists,
  poolNames,
  poolTaken,
  readPool,
  registerBuilder,
  removePoolDir,
  unmarkIdle,
  writeNewPool,
} from '../pools/pool-store.js';

/** Members booted at once by `pool create` (more would only share the same CPUs). */
const CREATE_PARALLEL = 2;

export interface PoolSummary {
  name: string;
  size: number;
  backend: string;
  image: string;
  /** Members booted and waiting to be claimed. */
  idle: number;
  /** Members being booted now (by pool create or a refill). */
  booting: number;
  createdAt: string;
}

/** Boot one member as builder TOKEN and make it claimable; false when the pool went meanwhile (then it is removed). */
async function bootMember(ctx: Context, pool: PoolRecord, token: string, hooks: CreateHooks): Promise<void> {
  const { handle } = await createAndStart(ctx, memberSpec(pool, token), hooks, '--backend');
  let gone: boolean;
  {
    using _lock = await lockPool(ctx.paths, pool.name);
    gone = !poolExists(ctx.paths, pool.name);
    if (!gone) markIdle(ctx.paths, pool.name, handle.id);
  }
  if (gone) await removeEnv(ctx, handle.id, true).catch(() => undefined);
}

/**
 * Make pool NAME: SIZE members of ASKED (run options and image; no command) booted now. A
 * failure removes the members made so far and the pool.
 */
export async function createPool(
  ctx: Context,
  name: string,
  size: number,
  asked: EnvSpec,
  hooks: CreateHooks = {},
  source?: string,
): Promise<PoolSummary> {
  checkPoolName(name);
  if (asked.command.length > 0)
    throw new SpecError('pool-command', 'pool create takes no command: members wait idle for run --pool', {
      fix: `drop "-- ${asked.command.join(' ')}"; give it to berth run --pool ${name} -- CMD`,
    });
  if (
    asked.template !== undefined ||
    asked.pool !== undefined ||
    asked.detach ||
    asked.autoRemove ||
    asked.name !== undefined
  )
    throw new SpecError('pool-option-conflict', 'pool create takes no --template, --pool, --detach, --rm or --name', {
      fix: 'drop them: members are detached, named by berth, and removed by pool rm',
    });
  if (poolExists(ctx.paths, name)) throw poolTaken(name);
  await sweepPools(ctx);
  // The backend is chosen once, here, so that every member (refills too) boots on the same one.
  const idle: EnvSpec = { ...asked, command: [...IDLE_COMMAND] };
  validateSpec(idle);
  const { choice, spec } = await ctx.registry.select(idle, ctx.rootless, source);
  const rec: PoolRecord = {
    name,
    size,
    backend: choice.chosen,
    image: asked.image,
    spec: { ...asked, labels: { ...asked.labels } },
    createdAt: new Date().toISOString(),
  };
  writeNewPool(ctx.paths, rec);
  hooks.onChoice?.(choice, spec);
  const quiet = { ...hooks };
  delete quiet.onChoice;
  const slots = Array.from({ length: size }, (_, k) => registerBuilder(ctx.paths, name, k));
  try {
    let next = 0;
    const worker = async () => {
      while (next < slots.length) {
        const slot = slots[next++]!;
        await bootMember(ctx, rec, slot.token, quiet);
        slot.release();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CREATE_PARALLEL, size) }, worker));
  } catch (e) {
    for (const s of slots) s.release();
    await dropPool(ctx, name).catch(() => undefined);
    throw e;
  }
  return summary(ctx, rec);
}

function summary(ctx: Context, rec: PoolRecord): PoolSummary {
  let booting = 0;
  for (const alive of builders(ctx.paths, rec.name).values()) if (alive) booting++;
  return {
    name: rec.name,
    size: rec.size,
    backend: rec.backend,
    image: rec.image,
    idle: idleMembers(ctx.paths, rec.name).length,
    booting,
    createdAt: rec.createdAt,
  };
}

/**
 * Under the pool's lock: forget dead builders, and take out of the pool what is not a live part
 * of it (an idle member that stopped, a member whose builder died). Returns the environments to
 * remove (the caller removes them after the lock: a VM takes a moment to go).
 */
function sweepLocked(ctx: Context, name: string): string[] {
  const live = builders(ctx.paths, name);
  for (const [token, alive] of live) if (!alive) forgetBuilder(ctx.paths, name, token);
  const idle = new Set(idleMembers(ctx.paths, name));
  const doomed: string[] = [];
  const known = new Set<string>();
  for (const rec of ctx.store.list()) {
    if (rec.spec.labels[POOL_LABEL] !== name) continue;
    known.add(rec.id);
    if (idle.has(rec.id)) {
      if (ctx.store.status(rec.id).state === 'running') continue;
      unmarkIdle(ctx.paths, name, rec.id);
    } else if (live.get(rec.spec.labels[POOL_BUILDER_LABEL] ?? '') === true) continue;
    doomed.push(rec.id);
  }
  for (const id of idle) if (!known.has(id)) unmarkIdle(ctx.paths, name, id);
  return doomed;
}

async function removeAll(ctx: Context, ids: string[]): Promise<void> {
  for (const id of ids) await removeEnv(ctx, id, true).catch(() => undefined);
}

/** Members of pools that no longer exist (a pool rm killed half-way). */
function strays(ctx: Context): string[] {
  const names = new Set(poolNames(ctx.paths));
  return ctx.store
    .list()
    .filter((r) => r.spec.labels[POOL_LABEL] !== undefined && !names.has(r.spec.labels[POOL_LABEL]!))
    .map((r) => r.id);
}

/** Every pool swept (pool ls, prune): dead refills' leftovers and stopped idle members go. */
export async function sweepPools(ctx: Context): Promise<void> {
  const doomed = strays(ctx);
  for (const name of poolNames(ctx.paths)) {
    using _lock = await lockPool(ctx.paths, name);
    doomed.push(...sweepLocked(ctx, name));
  }
  await removeAll(ctx, doomed);
}

export async function listPools(ctx: Context): Promise<PoolSummary[]> {
  await sweepPools(ctx);
  const out: PoolSummary[] = [];
  for (const name of poolNames(ctx.paths)) {
    try {
      out.push(summary(ctx, readPool(ctx.paths, name)));
    } catch {
      /* removed meanwhile */
    }
  }
  return out;
}

/** Kill the pool's builders (they would boot members of a pool that is going), remove it and its members. */
async function dropPool(ctx: Context, name: string): Promise<void> {
  const killed: [number, number | undefined][] = [];
  {
    using _lock = await lockPool(ctx.paths, name);
    for (const token of builders(ctx.paths, name).keys()) {
      const [pid, start] = token.split('-').map(Number);
      if (pid && pid !== process.pid && isProcessAlive(pid, start || undefined)) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.push([pid, start || undefined]);
        } catch {
          /* gone */
        }
      }
    }
    removePoolDir(ctx.paths, name);
  }
  // A refill killed while it made a member leaves that member's half-made directory, which the
  // listing below sweeps once its maker is gone: wait for that (a SIGKILL is not instant).
  for (let i = 0; i < 500 && killed.some(([pid, start]) => isProcessAlive(pid, start)); i++)
    await new Promise((r) => setTimeout(r, 10));
  await removeLabelled(ctx, { key: POOL_LABEL, value: name });
}

/**
 * Remove pool NAME: its idle members, a refill under way, the record. Environments claimed from it
 * are ordinary ones; while one runs the removal is refused, unless FORCE (then they go too).
 */
export async function removePool(ctx: Context, name: string, force: boolean): Promise<void> {
  readPool(ctx.paths, name);
  const claimed = ctx.store.list().filter((r) => r.spec.labels[POOL_CLAIMED_LABEL] === name);
  const running = claimed.filter((r) => ['running', 'paused'].includes(ctx.store.status(r.id).state));
  if (running.length > 0 && !force) {
    throw new StateError(
      'pool-in-use',
      `pool ${name} has claimed environments still running: ${running.map((r) => r.name).join(', ')}`,
      { fix: `wait for them, or use "berth pool rm -f ${name}" (removes them too)` },
    );
  }
  await dropPool(ctx, name);
  if (force)
    await removeAll(
      ctx,
      running.map((r) => r.id),
    );
}

/**
 * The refill (`berth __pool-refill NAME`, started detached after a claim): sweep, then boot
 * members one at a time while the pool has fewer idle and booting than its size. Killed at any point, it leaves a
 * dead builder entry and maybe a half member, which the next sweep removes.
 */
export async function refillPool(ctx: Context, name: string): Promise<void> {
  // One member at a time until the pool is full again (a member that died is made up for too).
  while (poolExists(ctx.paths, name)) {
    let slot: ReturnType<typeof registerBuilder> | undefined;
    let doomed: string[];
    let pool: PoolRecord;
    {
      using _lock = await lockPool(ctx.paths, name);
      if (!poolExists(ctx.paths, name)) return;
      pool = readPool(ctx.paths, name);
      doomed = sweepLocked(ctx, name);
      let booting = 0;
      for (const alive of builders(ctx.paths, name).values()) if (alive) booting++;
      if (idleMembers(ctx.paths, name).length + booting < pool.size) slot = registerBuilder(ctx.paths, name, 0);
    }
    await removeAll(ctx, doomed);
    if (!slot) return;
    try {
      await bootMember(ctx, pool, slot.token, {});
    } finally {
      slot.release();
    }
  }
}

/**
 * Start a detached refill of POOL for the store at ROOT (undefined: this process's), unless its
 * idle and booting members fill it already (a burst of claims would start one process each).
 */
export function startRefill(ctx: Context, pool: PoolRecord, root: string | undefined): void {
  let booting = 0;
  for (const alive of builders(ctx.paths, pool.name).values()) if (alive) booting++;
  if (idleMembers(ctx.paths, pool.name).length + booting >= pool.size) return;
  const cli = cliPath();
  if (!cli) return;
  try {
    spawn(process.execPath, [cli, '__pool-refill', pool.name], {
      detached: true,
      stdio: 'ignore',
      env: root ? { ...process.env, BERTH_ROOT: root } : process.env,
    }).unref();
  } catch {
    /* the pool stays one short; the next claim starts another refill */
  }
}
