/**
 * `run --pool NAME -- CMD` and `create({ pool })` (docs/pools.md, ADR 0057): claim an idle member
 * under the pool's lock (two claims never get the same one), run CMD in it as run would (attached,
 * its exit status, --rm), then start a refill (create({ pool }): at once). An empty pool does not wait: CMD runs in a cold
 * boot with the pool's options (the refill fills the pool meanwhile).
 */
import type { Context } from './context.js';
import type { EnvSpec } from '../core/spec.js';
import type { ExitResult } from '../drivers/driver.js';
import type { BackendChoice } from '../core/env-store.js';
import { createAndStart, execIn, removeIfPresent, resolveEnv, type CreateHooks } from './lifecycle.js';
import { resolveCommand } from '../core/command.js';
import { claimedLabels, POOL_LABEL, type PoolRecord } from '../pools/pool-record.js';
import { idleMembers, lockPool, readPool, unmarkIdle } from '../pools/pool-store.js';
import { startRefill } from './pools.js';

export interface PoolRun {
  id: string;
  name: string;
  backend: string;
  choice: BackendChoice;
  /** Claimed an idle member (false: the pool was empty, so a cold boot). */
  warm: boolean;
}

/** What the claimed environment runs: the pool's entrypoint (if it set one) or the image's, with CMD. */
function commandFor(ctx: Context, id: string, pool: PoolRecord, command: string[]) {
  const rec = ctx.store.readRecord(id)!;
  return resolveCommand(rec.image.config, {
    ...(pool.spec.entrypoint !== undefined ? { entrypoint: pool.spec.entrypoint } : {}),
    command,
  });
}

/**
 * Claim an idle member of pool NAME for ASKED (command, env, labels); undefined when none is idle.
 * Under the lock: the first idle member still running leaves the idle set and is relabelled.
 */
async function claim(ctx: Context, pool: PoolRecord, asked: EnvSpec): Promise<string | undefined> {
  const dead: string[] = [];
  try {
    using _lock = await lockPool(ctx.paths, pool.name);
    for (const id of idleMembers(ctx.paths, pool.name)) {
      if (!unmarkIdle(ctx.paths, pool.name, id)) continue;
      const rec = ctx.store.readRecord(id);
      if (!rec || rec.spec.labels[POOL_LABEL] !== pool.name) continue;
      if (ctx.store.status(id).state !== 'running') {
        dead.push(id);
        continue;
      }
      ctx.store.replaceRecord({
        ...rec,
        spec: { ...rec.spec, labels: claimedLabels(rec.spec.labels, pool.name, asked.labels) },
        command: commandFor(ctx, id, pool, asked.command),
      });
      return id;
    }
    return undefined;
  } finally {
    for (const id of dead) await removeIfPresent(ctx, id).catch(() => undefined);
  }
}

/** The spec of a cold boot for an empty pool: the pool's options with the run's. */
function coldSpec(pool: PoolRecord, asked: EnvSpec): EnvSpec {
  return {
    ...pool.spec,
    backend: pool.backend,
    command: asked.command,
    env: { ...pool.spec.env, ...asked.env },
    ...(asked.workdir !== undefined ? { workdir: asked.workdir } : {}),
    ...(asked.user !== undefined ? { user: asked.user } : {}),
    ...(asked.name !== undefined ? { name: asked.name } : {}),
    tty: asked.tty,
    interactive: asked.interactive,
    detach: asked.detach,
    autoRemove: asked.autoRemove,
    labels: claimedLabels(pool.spec.labels, pool.name, asked.labels),
  };
}

/** Claim (or cold boot) an environment of pool `asked.pool`, named, labelled, its command recorded; not yet run. */
export async function takeFromPool(
  ctx: Context,
  asked: EnvSpec,
  hooks: CreateHooks,
  root: string | undefined,
  refill: 'now' | 'caller' = 'now',
): Promise<PoolRun & { pool: PoolRecord }> {
  const pool = readPool(ctx.paths, asked.pool!);
  const id = await claim(ctx, pool, asked);
  if (refill === 'now') startRefill(ctx, pool, root);
  if (id === undefined) {
    const { handle, choice } = await createAndStart(ctx, coldSpec(pool, asked), hooks, '--backend');
    return { id: handle.id, name: handle.name, backend: handle.backend, choice, warm: false, pool };
  }
  let rec = ctx.store.readRecord(id)!;
  if (asked.name !== undefined) {
    try {
      rec = ctx.store.rename(id, asked.name);
    } catch (e) {
      await removeIfPresent(ctx, id);
      throw e;
    }
  }
  return { id, name: rec.name, backend: rec.backend, choice: rec.choice, warm: true, pool };
}

/**
 * run --pool: CMD in a claimed member, attached (or its exit status when ASKED.detach is false
 * and stdio is the caller's). The member's idle command is stopped after CMD, whose status
 * becomes the environment's; with autoRemove the environment is removed instead.
 */
export async function runFromPool(
  ctx: Context,
  asked: EnvSpec,
  hooks: CreateHooks,
  root: string | undefined,
): Promise<PoolRun & ExitResult> {
  // The refill starts once CMD is over: on a small host a boot beside CMD slows the very command
  // the pool is there to speed up (ADR 0057). A long CMD leaves the pool one short meanwhile.
  const got = await takeFromPool(ctx, asked, hooks, root, 'caller');
  const base: PoolRun = { id: got.id, name: got.name, backend: got.backend, choice: got.choice, warm: got.warm };
  const { driver, handle, record } = resolveEnv(ctx, got.id);
  let res: ExitResult | undefined;
  try {
    if (!got.warm) {
      res = await driver.wait(handle);
      return { ...base, ...res };
    }
    res = await execIn(ctx, got.id, record.command.argv, {
      tty: asked.tty,
      interactive: asked.interactive,
      env: asked.env,
      ...(asked.workdir !== undefined ? { workdir: asked.workdir } : {}),
      ...(asked.user !== undefined ? { user: asked.user } : {}),
    });
    if (!asked.autoRemove && !res.detached) {
      await driver.stop(handle, { timeoutMs: 10_000, signal: 'KILL' });
      ctx.store.recordExit(got.id, res);
    }
    return { ...base, ...res };
  } catch (e) {
    // CMD could not start (an unknown user, a missing command): the claimed member goes, as run leaves nothing.
    if (got.warm && !res) await removeIfPresent(ctx, got.id).catch(() => undefined);
    throw e;
  } finally {
    if (asked.autoRemove && !res?.detached) await removeIfPresent(ctx, got.id);
    startRefill(ctx, got.pool, root);
  }
}
