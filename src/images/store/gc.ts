/**
 * Garbage collection: delete blobs no recorded image references.
 *
 * Roots are the descriptors in oci/index.json. From each, manifests are walked: an index or
 * manifest list marks itself and every child manifest present in the store; a manifest marks
 * itself, its config and its layers. Everything else under blobs/sha256 goes, except
 *  - blobs modified less than `graceMs` ago (default 1 h): a pull in progress stores blobs
 *    before it records the image, and touches blobs it reuses;
 *  - blobs whose per-blob lock is held (being written right now).
 * Temp files in blobs/tmp older than the grace period go too (abandoned partial downloads).
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isLockHeld } from '../../core/lock.js';
import { join } from 'node:path';
import { BlobStore } from './blob-store.js';
import { ImageIndex } from './image-index.js';
import { isDigest } from '../ref.js';

export interface GcOptions {
  /** Spare blobs younger than this (ms). Default one hour. */
  graceMs?: number;
  /** Only report, delete nothing. */
  dryRun?: boolean;
  now?: number;
}

export interface GcResult {
  kept: number;
  removed: string[];
  freedBytes: number;
  removedTemp: number;
  /** Bytes of the removed temp files (stale partial downloads). */
  freedTempBytes: number;
}

interface AnyManifest {
  mediaType?: string;
  manifests?: { digest: string }[];
  config?: { digest: string };
  layers?: { digest: string }[];
}

/** The digests reachable from `root` in the store (root included). Missing blobs are skipped. */
export function reachableFrom(store: BlobStore, root: string, into = new Set<string>()): Set<string> {
  if (into.has(root) || !isDigest(root)) return into;
  into.add(root);
  if (!store.has(root)) return into;
  let m: AnyManifest;
  try {
    m = store.readJson<AnyManifest>(root);
  } catch {
    return into; // not JSON: a layer reached directly (cannot happen from the index) — keep it
  }
  if (m === null || typeof m !== 'object') return into;
  for (const c of m.manifests ?? []) if (typeof c?.digest === 'string') reachableFrom(store, c.digest, into);
  if (typeof m.config?.digest === 'string' && isDigest(m.config.digest)) into.add(m.config.digest);
  for (const l of m.layers ?? []) if (typeof l?.digest === 'string' && isDigest(l.digest)) into.add(l.digest);
  return into;
}

export async function garbageCollect(imagesDir: string, opts: GcOptions = {}): Promise<GcResult> {
  const store = new BlobStore(imagesDir);
  const index = new ImageIndex(imagesDir);
  const graceMs = opts.graceMs ?? 60 * 60_000;
  const now = opts.now ?? Date.now();
  const live = new Set<string>();
  for (const rec of index.list()) {
    reachableFrom(store, rec.digest, live);
    reachableFrom(store, rec.manifestDigest, live);
  }
  const result: GcResult = { kept: 0, removed: [], freedBytes: 0, removedTemp: 0, freedTempBytes: 0 };
  if (existsSync(store.blobsDir)) {
    for (const hex of readdirSync(store.blobsDir)) {
      const digest = `sha256:${hex}`;
      const p = join(store.blobsDir, hex);
      if (!isDigest(digest)) continue; // not ours
      if (live.has(digest)) {
        result.kept++;
        continue;
      }
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (now - st.mtimeMs < graceMs || isLockHeld(store.lockPath(digest))) {
        result.kept++;
        continue;
      }
      if (!opts.dryRun) rmSync(p, { force: true });
      result.removed.push(digest);
      result.freedBytes += st.size;
    }
  }
  if (existsSync(store.tmpDir)) {
    for (const name of readdirSync(store.tmpDir)) {
      const p = join(store.tmpDir, name);
      let size = 0;
      const hex = name.slice(0, 64);
      try {
        if (now - statSync(p).mtimeMs < graceMs) continue;
        // A download in progress holds its blob's lock; one killed mid-way left a stale lock.
        if (/^[0-9a-f]{64}/.test(hex) && isLockHeld(store.lockPath(`sha256:${hex}`))) continue;
        size = statSync(p).size;
      } catch {
        continue;
      }
      if (!opts.dryRun) rmSync(p, { force: true });
      result.removedTemp++;
      result.freedTempBytes += size;
    }
  }
  return result;
}
