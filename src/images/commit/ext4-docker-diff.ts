/**
 * Docker's `diff` of a VM environment, from the layer changes of its disk (ext4-diff.ts): an
 * entry whose path the base disk has is C (changed), else A (added); a whiteout is D (deleted);
 * an opaque marker adds nothing (its directory is listed as C already). Paths are absolute, in
 * the order of a depth-first walk by sorted names, as the overlay backends' diff lists them. Pure.
 */
import { type Ext4Tree, ROOT_INO } from './ext4-tree.js';
import type { LayerChange } from './ext4-diff.js';

export interface PathChange {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/** Whether TREE has the relative path REL (name by name from the root directory). */
export function treeHas(tree: Ext4Tree, rel: string): boolean {
  let dir = ROOT_INO;
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    const e = tree.dirs.get(dir)?.find((d) => d.name === parts[i]);
    if (!e) return false;
    if (i === parts.length - 1) return true;
    dir = e.ino;
  }
  return false;
}

export function dockerChanges(changes: LayerChange[], base: Ext4Tree): PathChange[] {
  const out: PathChange[] = [];
  for (const c of changes) {
    if (c.kind === 'opaque') continue;
    const kind = c.kind === 'whiteout' ? 'D' : treeHas(base, c.rel) ? 'C' : 'A';
    out.push({ kind, path: `/${c.rel}` });
  }
  return out.sort((a, b) => byComponents(a.path, b.path));
}

/** A directory before what is in it, names in order within one directory. */
function byComponents(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}
