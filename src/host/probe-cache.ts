/**
 * Probe results cached per host boot: `dir/probes-<boot id>.json` holds one JSON value per key.
 * A reboot changes the boot id, so stale verdicts (a module loaded, a sysctl changed, /dev/kvm
 * permissions) are never reused across boots. Writes are atomic (temp file + rename); a corrupt
 * or unreadable cache file is ignored and rewritten; failing to write the cache never fails the
 * caller. Files of earlier boots are removed when a new one is written.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';

const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** The current boot id, or undefined when it cannot be read (then nothing is cached). */
export function bootId(path = BOOT_ID_PATH): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    return /^[0-9a-fA-F-]{8,64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export function cacheFile(dir: string, boot: string): string {
  return join(dir, `probes-${boot}.json`);
}

function readCache(file: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Return the cached value for `key` from this boot, or run `fn`, store its (JSON-serialisable)
 * result and return it. A rejection of `fn` is passed on and not cached.
 */
export async function cached<T>(dir: string, key: string, fn: () => Promise<T>, boot = bootId()): Promise<T> {
  if (boot === undefined) return fn();
  const file = cacheFile(dir, boot);
  const before = readCache(file);
  if (Object.prototype.hasOwnProperty.call(before, key)) return before[key] as T;
  const value = await fn();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Re-read so entries written meanwhile by another process are kept.
    const now = readCache(file);
    now[key] = value;
    writeFileAtomic(file, JSON.stringify(now, null, 2) + '\n', 0o644);
    removeOtherBoots(dir, boot);
  } catch {
    /* the cache is an optimisation: a read-only or full disk must not fail a probe */
  }
  return value;
}

function removeOtherBoots(dir: string, boot: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (/^probes-.*\.json$/.test(name) && name !== `probes-${boot}.json`) rmSync(join(dir, name), { force: true });
    }
  } catch {
    /* best effort */
  }
}

/** Forget the cached results of this boot (`berth doctor --refresh`). Never throws. */
export function clearProbeCache(dir: string, boot = bootId()): void {
  if (boot === undefined) return;
  try {
    rmSync(cacheFile(dir, boot), { force: true });
  } catch {
    /* nothing to do */
  }
}
