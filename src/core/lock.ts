/**
 * Exclusive locks as files created with O_EXCL holding the owner's pid, start time and host
 * name. A lock whose owner is dead is stale and is taken over, so a crashed berth never
 * wedges the store. (ADR 0002 says why not proper-lockfile: mtime heartbeats need a
 * timer in every CLI process; pid+start time is exact on one host.) A store shared by several
 * hosts (matrix --on slurm --store, ADR 0036): a lock owned on another host is held, since this
 * host cannot see that process; O_EXCL create is atomic on local file systems and NFSv3+.
 */
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, rmSync, renameSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isProcessAlive, processStartTime } from './process-identity.js';
import { StateError } from './errors.js';

export interface Lock {
  path: string;
  release(): void;
  [Symbol.dispose](): void;
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, `${process.pid} ${processStartTime(process.pid) ?? 0} ${hostname()}\n`);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** A lock file with no owner written yet is being created (O_EXCL, then the write): alive for a while. */
const UNWRITTEN_GRACE_MS = 5_000;

function ownerAlive(path: string): boolean {
  try {
    const text = readFileSync(path, 'utf8').trim();
    const owner = text.split(' ');
    // Another host's process: it cannot be checked from here, so it holds (ADR 0036).
    if (owner[2] && owner[2] !== hostname()) return true;
    const [pid, start] = owner.map(Number);
    if (!pid || !Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(path).mtimeMs < UNWRITTEN_GRACE_MS;
    return isProcessAlive(pid, start || undefined);
  } catch {
    return true; // being written or removed right now: treat as alive
  }
}

/** The host of a lock's owner when it is not this host. */
function lockHost(path: string): string | undefined {
  try {
    const host = readFileSync(path, 'utf8').trim().split(' ')[2];
    return host && host !== hostname() ? host : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(path: string, what: string, timeoutMs = 10_000): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    if (tryCreate(path)) break;
    if (!ownerAlive(path)) {
      // Steal a stale lock: rename it away first so two stealers cannot both win.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
      } catch {
        /* someone else stole it */
      }
      continue;
    }
    if (Date.now() > deadline) {
      const host = lockHost(path);
      throw new StateError('locked', `${what} is locked by another berth process${host ? ` on ${host}` : ''}`, {
        fix: `wait for it to finish, or remove ${path} if no berth process is running${host ? ` on ${host}` : ''}`,
      });
    }
    await sleep(delay);
  }
  let released = false;
  const release = () => {
    if (!released) {
      released = true;
      rmSync(path, { force: true });
    }
  };
  return { path, release, [Symbol.dispose]: release };
}
