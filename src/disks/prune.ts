/**
 * Remove base disks no image or environment uses any more (`berth rmi`, `berth prune`), with
 * their blank overlays (blank-overlay.ts), and leftovers of builds that died (temp files, staging dirs) once no builder holds their lock.
 */
import { isLockHeld } from '../core/lock.js';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '../host/probes/overlayfs.js';
import { keyOfBaseFile } from './base-names.js';

const BLANK_RE = /^([0-9a-f]{64}(?:-\d+)?\.ext4)\.blank-[a-z0-9]+-\d+\.qcow2$/;

export interface PruneDisksResult {
  removed: string[];
  freedBytes: number;
}

/** @param liveKeys keys (imageKey) of every stored image and every environment's image */
export function pruneBaseDisks(disksDir: string, liveKeys: Set<string>): PruneDisksResult {
  const result: PruneDisksResult = { removed: [], freedBytes: 0 };
  if (!existsSync(disksDir)) return result;
  const locked = (key: string) => isLockHeld(join(disksDir, `${key}.lock`));
  for (const name of readdirSync(disksDir)) {
    const p = join(disksDir, name);
    const key = keyOfBaseFile(name);
    if (key !== undefined) {
      if (liveKeys.has(key) || locked(key)) continue;
      try {
        result.freedBytes += statSync(p).blocks * 512;
      } catch {
        /* raced */
      }
      rmSync(p, { force: true });
      rmSync(`${p}.json`, { force: true });
      for (const blank of readdirSync(disksDir).filter((n) => n.startsWith(`${name}.blank-`)))
        rmSync(join(disksDir, blank), { force: true });
      result.removed.push(name);
      continue;
    }
    // A blank overlay (blank-overlay.ts) whose base is gone.
    const blankOf = BLANK_RE.exec(name)?.[1];
    if (blankOf !== undefined) {
      if (!existsSync(join(disksDir, blankOf))) rmSync(p, { force: true });
      continue;
    }
    // `.stage-<key12>-XXXX` dirs and `.<key>...ext4.tmp-XXXX` files of a build that died.
    const left = /^\.stage-([0-9a-f]{12})-/.exec(name)?.[1] ?? /^\.([0-9a-f]{64})[-.]/.exec(name)?.[1]?.slice(0, 12);
    if (left === undefined) {
      const k = /^([0-9a-f]{64})(?:-\d+)?\.ext4\.json$/.exec(name)?.[1];
      if (k !== undefined && !locked(k) && !existsSync(p.slice(0, -'.json'.length))) rmSync(p, { force: true });
      continue;
    }
    const busy = readdirSync(disksDir).some((n) => n.endsWith('.lock') && n.startsWith(left));
    if (!busy) removeTree(p);
  }
  return result;
}
