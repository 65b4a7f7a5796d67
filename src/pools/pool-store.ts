/**
 * Where pools live: `<data>/pools/NAME/` holding pool.json (the record, written once), `idle/ID`
 * (an empty file per member ready to be claimed) and `building/TOKEN` (a lock naming the pid and
 * start time of a process booting one member). Every change of a pool's state happens under
 * `<data>/pools/.NAME.lock` (core/lock.ts), so a claim is atomic across processes.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Paths } from '../core/paths.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { acquireLock, isLockHeld, type Lock } from '../core/lock.js';
import { processStartTime } from '../core/process-identity.js';
import { StateError } from '../core/errors.js';
import { checkPoolName, POOL_FILE, type PoolRecord } from './pool-record.js';

type DataPaths = Pick<Paths, 'data'>;

export const poolsDir = (paths: DataPaths) => join(paths.data, 'pools');
export const poolDir = (paths: DataPaths, name: string) => join(poolsDir(paths), name);
const idleDir = (paths: DataPaths, name: string) => join(poolDir(paths, name), 'idle');
const buildingDir = (paths: DataPaths, name: string) => join(poolDir(paths, name), 'building');

/** The pool's lock: held for every claim, publish and sweep (each a few file operations). */
export function lockPool(paths: DataPaths, name: string): Promise<Lock> {
  return acquireLock(join(poolsDir(paths), `.${name}.lock`), `pool ${name}`, 60_000);
}

export function noSuchPool(name: string): StateError {
  return new StateError('no-such-pool', `no such pool: ${name}`, {
    fix: 'list them with "berth pool ls", or make it with "berth pool create NAME --size N IMAGE"',
  });
}

export function readPool(paths: DataPaths, name: string): PoolRecord {
  checkPoolName(name);
  try {
    return JSON.parse(readFileSync(join(poolDir(paths, name), POOL_FILE), 'utf8')) as PoolRecord;
  } catch {
    throw noSuchPool(name);
  }
}

export function poolExists(paths: DataPaths, name: string): boolean {
  return existsSync(join(poolDir(paths, name), POOL_FILE));
}

/** Make pool NAME's directory with its record; refused when it exists. */
export function writeNewPool(paths: DataPaths, rec: PoolRecord): void {
  const dir = poolDir(paths, rec.name);
  const tmp = join(poolsDir(paths), `.${rec.name}.new-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'idle'), { recursive: true, mode: 0o700 });
  mkdirSync(join(tmp, 'building'), { mode: 0o700 });
  writeJsonAtomic(join(tmp, POOL_FILE), rec, 0o644);
  try {
    if (existsSync(dir)) throw poolTaken(rec.name);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function poolTaken(name: string): StateError {
  return new StateError('pool-exists', `pool ${name} already exists`, {
    fix: `remove it first (berth pool rm -f ${name}) or choose another name`,
  });
}

/** Replace the record (the backend is known once the first member booted). */
export function rewritePool(paths: DataPaths, rec: PoolRecord): void {
  writeJsonAtomic(join(poolDir(paths, rec.name), POOL_FILE), rec, 0o644);
}

export function poolNames(paths: DataPaths): string[] {
  try {
    return readdirSync(poolsDir(paths))
      .filter((n) => !n.startsWith('.'))
      .filter((n) => existsSync(join(poolDir(paths, n), POOL_FILE)))
      .sort();
  } catch {
    return [];
  }
}

/** The idle members, longest idle first (a guest just booted may still be settling; unmeasured here). */
export const idleMembers = (paths: DataPaths, name: string): string[] => {
  const dir = idleDir(paths, name);
  let ids: string[];
  try {
    ids = readdirSync(dir);
  } catch {
    return [];
  }
  const since = (id: string) => {
    try {
      return statSync(join(dir, id)).mtimeMs;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  return ids
    .map((id) => ({ id, t: since(id) }))
    .sort((a, b) => a.t - b.t || a.id.localeCompare(b.id))
    .map((x) => x.id);
};

export function markIdle(paths: DataPaths, name: string, id: string): void {
  writeFileSync(join(idleDir(paths, name), id), '', { mode: 0o600 });
}

/** Take ID out of the idle set; false when it was not there. */
export function unmarkIdle(paths: DataPaths, name: string, id: string): boolean {
  try {
    rmSync(join(idleDir(paths, name), id));
    return true;
  } catch {
    return false;
  }
}

/**
 * Register this process as the builder of one member: a symlink `building/PID-START-N` naming
 * it (as a lock does), so a builder killed by SIGKILL is seen as dead. Returns its token.
 */
export function registerBuilder(paths: DataPaths, name: string, n: number): { token: string; release(): void } {
  const token = `${process.pid}-${processStartTime(process.pid) ?? 0}-${n}`;
  const path = join(buildingDir(paths, name), token);
  rmSync(path, { force: true });
  symlinkSync(`${process.pid} ${processStartTime(process.pid) ?? 0}`, path);
  return { token, release: () => rmSync(path, { force: true }) };
}

/** Builders of this pool: token -> alive. */
export function builders(paths: DataPaths, name: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  let entries: string[] = [];
  try {
    entries = readdirSync(buildingDir(paths, name));
  } catch {
    return out;
  }
  for (const t of entries) out.set(t, isLockHeld(join(buildingDir(paths, name), t)));
  return out;
}

export function forgetBuilder(paths: DataPaths, name: string, token: string): void {
  rmSync(join(buildingDir(paths, name), token), { force: true });
}

export function removePoolDir(paths: DataPaths, name: string): void {
  rmSync(poolDir(paths, name), { recursive: true, force: true });
}
