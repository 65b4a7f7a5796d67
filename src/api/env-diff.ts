/**
 * Docker's `diff`: what an environment changed: A added, C changed (it exists in the image too),
 * D deleted. chroot and container: from the overlay's upper directory (a whiteout is a 0:0
 * character device). uml and microvm: the disk is flushed, copied flat and diffed against its base
 * disk as a commit does (vm-disk-read.ts, ADR 0058), then named as Docker does (ext4-docker-diff.ts).
 */
import { lstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { DriverError } from '../core/errors.js';
import { resolveEnv } from './lifecycle.js';
import type { EnvRecord } from '../core/env-store.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

const isWhiteout = (s: Stats) => s.isCharacterDevice() && s.rdev === 0;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The image has PATH: its topmost layer that mentions it has it, not a whiteout (layers: bottom first). */
function inImage(layers: string[], rel: string): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const s = lstatOrUndefined(join(layers[i]!, rel));
    if (s) return !isWhiteout(s);
  }
  return false;
}

function walk(upper: string, layers: string[], rel: string, out: Change[]): void {
  for (const name of readdirSync(join(upper, rel)).sort()) {
    const r = `${rel}/${name}`;
    const s = lstatSync(join(upper, r));
    if (isWhiteout(s)) {
      out.push({ kind: 'D', path: r });
      continue;
    }
    out.push({ kind: inImage(layers, r) ? 'C' : 'A', path: r });
    if (s.isDirectory()) walk(upper, layers, r, out);
  }
}

/** The changes of a uml or microvm environment's disk against its base disk. */
async function diffVm(ctx: Context, record: EnvRecord): Promise<Change[]> {
  const { readableVmDisk } = await import('./vm-disk-read.js');
  const [{ readExt4Tree }, { diffTrees }, { dockerChanges }] = await Promise.all([
    import('../images/commit/ext4-tree.js'),
    import('../images/commit/ext4-diff.js'),
    import('../images/commit/ext4-docker-diff.js'),
  ]);
  // Paused only while its disk is copied: a copy of a disk being written could be torn.
  const disk = await readableVmDisk(ctx, record, { verb: 'diff' });
  try {
    const [base, env] = await Promise.all([readExt4Tree(disk.base), readExt4Tree(disk.changed, disk.sandbox)]);
    const changes = diffTrees(base, env, { mountTargets: record.spec.mounts.map((m) => m.target) });
    return dockerChanges(changes, base);
  } finally {
    rmSync(disk.work, { recursive: true, force: true });
  }
}

export async function diffEnv(ctx: Context, ref: string): Promise<Change[]> {
  const { record, handle } = resolveEnv(ctx, ref);
  if (record.backend === 'uml' || record.backend === 'microvm') return diffVm(ctx, record);
  const out: Change[] = [];
  try {
    walk(join(handle.dir, 'upper'), record.image.layers, '', out);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DriverError('diff-failed', `cannot read the changes of ${record.name}: ${err.code ?? err.message}`, {
      fix: err.code === 'EACCES' ? 'files written by other users inside: run berth diff as root' : 'see berth doctor',
    });
  }
  return out;
}
