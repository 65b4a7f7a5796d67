/**
 * What to chown/chmod so a rootless layer carries the image's owners (ADR 0014). Pure: the
 * `<layer>.meta.json` record in, a list of operations out. The operations run as root of a
 * user namespace with the caller's sub-id maps (src/images/unpack/apply-owners-main.ts), so
 * the image's ids are used as they are: uid 0 is the caller, uid N is subuid base + N - 1.
 */
import type { LayerMetaFile } from './layer-meta.js';

export interface OwnerOp {
  /** Path relative to the layer root ('' is the root). */
  rel: string;
  /** Recorded entry type; the applier checks the file still has it. */
  type: string;
  uid: number;
  gid: number;
  /** Absent for symlinks (chmod would follow them). */
  mode?: number;
}

export interface OwnerPlan {
  ops: OwnerOp[];
  /** Entries whose uid or gid has no mapping (they keep the caller as owner). */
  unmapped: string[];
}

/** `maxUid`/`maxGid`: the highest id mapped inside the namespace (the sub-id count). */
export function ownerPlan(meta: LayerMetaFile, maxUid: number, maxGid: number): OwnerPlan {
  const ops: OwnerOp[] = [];
  const unmapped: string[] = [];
  for (const [rel, e] of Object.entries(meta.entries)) {
    if (e.skipped || e.type === 'hardlink') continue; // a hardlink shares its target's inode
    if (e.uid < 0 || e.gid < 0 || e.uid > maxUid || e.gid > maxGid) {
      unmapped.push(rel);
      continue;
    }
    // Nothing to do for what the unpack already left right: owned by the caller (0 inside).
    if (e.uid === 0 && e.gid === 0) continue;
    const op: OwnerOp = { rel, type: e.type, uid: e.uid, gid: e.gid };
    if (e.type !== 'symlink') op.mode = e.mode & 0o7777;
    ops.push(op);
  }
  return { ops, unmapped };
}

/** The highest inside id covered by a set of maps (0 when only the caller is mapped). */
export function maxMappedId(maps: { inside: number; count: number }[]): number {
  return maps.reduce((m, r) => Math.max(m, r.inside + r.count - 1), 0);
}
