/**
 * Exclusive locks as symlinks (created atomically, like O_EXCL) naming the owner's pid, start
 * time and host name. A lock whose owner is dead is stale and is taken over, so a crashed berth
 * never wedges the store. (ADR 0002 says why not proper-lockfile: mtime heartbeats need a
 * timer in every CLI process; pid+start time is exact on one host.) A store shared by several
 * hosts (matrix --on slurm --store, ADR 0036): a lock owned on another host is held, since this
 * host cannot see that process; symlink creation is atomic on local file systems and NFSv3+.
 */
import { mkdirSync, readFileSync, readlinkSync, rmSync, renameSync, statSync, lstatSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isProcessAlive, processStartTime } from './process-identity.js';
import { StateError } from './errors.js';

export interface Lock {
  path: string;
  release(): void;
  [Symbol.dispose](): void;
}

/**
 * The lock is a symlink whose target is "PID START HOST": created atomically with its owner
 * (never an ownerless file), and kept in the inode, so it can be taken on a full disk (`berth rm`
 * must work there). Regular lock files holding the same text (older berth) are still read.
 */
function tryCreate(path: string): boolean {
  try {
    symlinkSync(`${process.pid} ${processStartTime(process.pid) ?? 0} ${hostname()}`, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** A lock file created but not yet written (an older berth) is given this long before it counts as stale. */
const UNWRITTEN_GRACE_MS = 5_000;

/** The lock's owner text: a symlink's target, or an older berth's regular file. */
function ownerText(path: string): string {
  try {
    return readlinkSync(path).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    return readFileSync(path, 'utf8').trim();
  }
}

/** The host of a lock's owner when it is not this host. */
function lockHost(path: string): string | undefined {
  try {
    const host = ownerText(path).split(' ')[2];
    return host && host !== hostname() ? host : undefined;
  } catch {
    return undefined;
  }
}

function ownerAlive(path: string): boolean {
  try {
    const owner = ownerText(path).split(' ');
    // Another host's process: it cannot be checked from here, so it holds (ADR 0036).
    if (owner[2] && owner[2] !== hostname()) return true;
    const [pid, start] = owner.map(Number);
    if (!pid || !Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(path).mtimeMs < UNWRITTEN_GRACE_MS;
    return isProcessAlive(pid, start || undefined);
  } catch {
    return false;
  }
}

/** Whether a live process holds the lock at `path` (a stale lock file is not held). */
export function isLockHeld(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return false;
  }
  return ownerAlive(path);
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
