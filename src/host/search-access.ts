/**
 * Whether an unprivileged identity can reach a path: search (x) on every directory above it and
 * the wanted bits on the path itself, by the owner, group or other bits as the kernel picks them
 * (ACLs are not read; a path they open is refused as if they were absent). Used before a uml
 * kernel that root started runs as its own uid (ADR 0046): what it cannot open is refused before
 * anything boots, with the directory to fix.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { HostUser } from './uml-host-user.js';

export interface ModeOwner {
  mode: number;
  uid: number;
  gid: number;
}

export type Want = 'r' | 'w' | 'x' | 'rx';

const BITS: Record<Want, number> = { r: 4, w: 2, x: 1, rx: 5 };

/** The rwx bits (0-7) that apply to `who` on a file of mode/owner `st`. */
export function bitsFor(st: ModeOwner, who: HostUser): number {
  if (st.uid === who.uid) return (st.mode >> 6) & 7;
  if (st.gid === who.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/** The first path `who` cannot reach (a directory above, or `path` itself), with what it lacks; undefined when it can. */
export function unreachable(
  path: string,
  want: Want,
  who: HostUser,
  stat: (p: string) => ModeOwner = statSync,
): { path: string; lacks: string } | undefined {
  const full = resolve(path);
  const above: string[] = [];
  for (let d = dirname(full); ; d = dirname(d)) {
    above.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of above) {
    if ((bitsFor(stat(d), who) & 1) === 0) return { path: d, lacks: 'search (x)' };
  }
  const need = BITS[want];
  if ((bitsFor(stat(full), who) & need) !== need) return { path: full, lacks: `${want} permission` };
  return undefined;
}
