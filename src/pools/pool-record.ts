/**
 * Warm pools (docs/pools.md, ADR 0057): what a pool is and the rules about it, pure. A pool keeps
 * SIZE booted environments idle ("members": ordinary environments labelled berth.pool=NAME whose
 * command only waits); `run --pool NAME -- CMD` claims one and runs CMD in it.
 */
import type { BackendName, EnvSpec } from '../core/spec.js';
import { SpecError } from '../core/errors.js';

export const POOL_FILE = 'pool.json';
/** On every member while it is the pool's (idle, or being booted by a refill). */
export const POOL_LABEL = 'berth.pool';
/** On a claimed member (and on a cold boot of an empty pool): it is an ordinary environment now. */
export const POOL_CLAIMED_LABEL = 'berth.pool.claimed';
/** On a member being booted: the token of the builder (a pool create or a refill) that boots it. */
export const POOL_BUILDER_LABEL = 'berth.pool.builder';
/** What an idle member runs: it waits to be claimed (the image needs `sleep`, as busybox and Debian have). */
export const IDLE_COMMAND: readonly string[] = ['sleep', '2147483647'];
/** More idle VMs than this on one host is a typo, not a pool. */
export const MAX_POOL_SIZE = 64;

export interface PoolRecord {
  name: string;
  size: number;
  /** The backend the first member was made on: every later member is made there too. */
  backend: BackendName;
  image: string;
  /** The members' spec (run options of `pool create`), command and name left out. */
  spec: EnvSpec;
  createdAt: string;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function checkPoolName(name: string): void {
  if (!NAME.test(name)) {
    throw new SpecError('bad-pool-name', `invalid pool name "${name}"`, {
      fix: 'use lower-case letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)',
    });
  }
}

/** --size: a whole number from 1 to MAX_POOL_SIZE. */
export function parsePoolSize(value: string | number | undefined): number {
  // Decimal digits only: Number() would take "0x2", " 2" and "2e0" too.
  const n = typeof value === 'number' ? value : /^[0-9]{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN;
  if (value === undefined || !Number.isInteger(n) || n < 1 || n > MAX_POOL_SIZE) {
    throw new SpecError(
      'bad-pool-size',
      value === undefined ? 'pool create needs --size N' : `invalid --size "${value}"`,
      { fix: `give the number of idle environments to keep, 1 to ${MAX_POOL_SIZE}` },
    );
  }
  return n;
}

/**
 * The options of `run --pool` that the pool already fixed when its members booted (and so cannot
 * change now), by their CLI names. What the caller set, as given (nothing defaulted yet). Pure.
 */
export type PoolRunInput = Omit<Partial<EnvSpec>, 'command' | 'pull'> & { pull?: unknown };

export function poolConflicts(asked: PoolRunInput): string[] {
  const out: string[] = [];
  const set = (v: unknown) => v !== undefined;
  if (set(asked.image)) out.push('IMAGE');
  if (set(asked.backend)) out.push('--backend');
  if (set(asked.template)) out.push('--template');
  if (set(asked.isolation)) out.push('--isolation');
  if (set(asked.hostname)) out.push('--hostname');
  if (set(asked.network)) out.push('--network');
  if (set(asked.kernel)) out.push('--kernel');
  if (set(asked.accel)) out.push('--accel');
  if (set(asked.entrypoint)) out.push('--entrypoint');
  if (set(asked.diskSizeBytes)) out.push('--disk-size');
  if (set(asked.pull)) out.push('--pull');
  if (asked.detach) out.push('--detach');
  if ((asked.mounts ?? []).length > 0) out.push('--volume');
  if ((asked.ports ?? []).length > 0) out.push('--publish');
  const limits = asked.limits ?? {};
  if (limits.memoryBytes !== undefined) out.push('--memory');
  if (limits.cpus !== undefined) out.push('--cpus');
  if (limits.pidsLimit !== undefined) out.push('--pids-limit');
  const sec = asked.security;
  if (sec && (sec.privileged || sec.capAdd?.length || sec.capDrop?.length || sec.seccomp === 'unconfined'))
    out.push('--privileged/--cap-add/--cap-drop/--security-opt');
  return out;
}

/** Refuse run --pool options the pool fixed already (one line naming them). Pure. */
export function checkPoolRunOptions(pool: string, asked: PoolRunInput): void {
  const bad = poolConflicts(asked);
  if (bad.length > 0) {
    throw new SpecError(
      'pool-option-conflict',
      `--pool ${pool} fixes ${bad.join(', ')} already (its members are booted)`,
      {
        fix: `drop ${bad.join(', ')}, or make a pool with them: berth pool create NAME --size N [OPTIONS] IMAGE`,
      },
    );
  }
}

/** The spec a member boots with: the pool's options, the idle command, detached, labelled. Pure. */
export function memberSpec(pool: PoolRecord, builder: string): EnvSpec {
  const spec: EnvSpec = {
    ...pool.spec,
    backend: pool.backend,
    command: [...IDLE_COMMAND],
    // The idle command runs as it is; the pool's own --entrypoint applies to what a claim runs.
    entrypoint: [],
    detach: true,
    autoRemove: false,
    tty: false,
    interactive: false,
    labels: { ...pool.spec.labels, [POOL_LABEL]: pool.name, [POOL_BUILDER_LABEL]: builder },
  };
  delete spec.name;
  return spec;
}

/** A claimed member's labels: no longer the pool's; where it came from. Pure. */
export function claimedLabels(labels: Record<string, string>, pool: string, extra: Record<string, string> = {}) {
  const out: Record<string, string> = { ...labels, ...extra, [POOL_CLAIMED_LABEL]: pool };
  delete out[POOL_LABEL];
  delete out[POOL_BUILDER_LABEL];
  return out;
}
