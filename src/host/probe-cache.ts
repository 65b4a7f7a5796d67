/**
 * Expensive probe results (real tries: an unshare, a KVM boot), cached per host boot and keyed
 * by their inputs: `dir/probes-<boot id>.json` maps each key to `{ inputs, value }`. A cached
 * value is reused only while its inputs (tool paths and mtimes, sysctls, the kernel release, ...;
 * see probe-inputs.ts) are unchanged, so installing a package or changing a sysctl is seen at
 * once; a reboot changes the boot id. Writes are atomic (temp file + rename); a corrupt or
 * unreadable cache file is ignored and rewritten; failing to write the cache never fails the
 * caller. Files of earlier boots are removed when a new one is written.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';

const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** What a cached verdict depends on: names -> stamps (cheap to compute, unlike the verdict). */
export type CacheInputs = Record<string, string | number | boolean>;

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

/** Pure: a canonical text of inputs (key order does not matter). */
export function inputsText(inputs: CacheInputs): string {
  return JSON.stringify(
    Object.keys(inputs)
      .sort()
      .map((k) => [k, inputs[k]]),
  );
}

/** Pure: the value of a cache entry when it was computed from the same inputs. */
export function entryFor(entry: unknown, inputs: CacheInputs): { value: unknown } | undefined {
  if (entry === null || typeof entry !== 'object' || !('inputs' in entry) || !('value' in entry)) return undefined;
  const e = entry as { inputs: unknown; value: unknown };
  if (e.inputs === null || typeof e.inputs !== 'object') return undefined;
  return inputsText(e.inputs as CacheInputs) === inputsText(inputs) ? { value: e.value } : undefined;
}

/**
 * Return the value cached for `key` in this boot when it was computed from these `inputs`, or
 * run `fn`, store its (JSON-serialisable) result with the inputs and return it. A rejection of
 * `fn` is passed on and not cached.
 */
export async function cached<T>(
  dir: string,
  key: string,
  inputs: CacheInputs,
  fn: () => Promise<T>,
  boot = bootId(),
): Promise<T> {
  if (boot === undefined) return fn();
  const file = cacheFile(dir, boot);
  const hit = entryFor(readCache(file)[key], inputs);
  if (hit) return hit.value as T;
  const value = await fn();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Re-read so entries written meanwhile by another process are kept.
    const now = readCache(file);
    now[key] = { inputs, value };
    writeFileAtomic(file, `${JSON.stringify(now, null, 2)}\n`, 0o644);
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
