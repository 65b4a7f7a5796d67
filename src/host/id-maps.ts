/**
 * User-namespace id maps for rootless environments: the caller becomes root inside; when
 * newuidmap/newgidmap and a subordinate range in /etc/subuid and /etc/subgid exist, ids
 * 1..N inside map to that range, so `-u 1000` works too (as Podman does).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { IdMap } from './shim-cmdline.js';
import { parseSubidFile } from './probes/subids.js';

export interface IdMaps {
  uid: IdMap[];
  gid: IdMap[];
  full: boolean;
}

function canRun(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function range(file: string, user: string, id: number) {
  try {
    return parseSubidFile(readFileSync(file, 'utf8'), user, id);
  } catch {
    return undefined;
  }
}

let cachedMaps: IdMaps | undefined;

/** The caller's maps; computed once per process (run and exec each needed them twice). */
export function rootlessIdMaps(): IdMaps {
  return (cachedMaps ??= computeIdMaps());
}

function computeIdMaps(): IdMaps {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const own = {
    uid: [{ inside: 0, outside: uid, count: 1 }],
    gid: [{ inside: 0, outside: gid, count: 1 }],
    full: false,
  };
  if (!canRun('/usr/bin/newuidmap') || !canRun('/usr/bin/newgidmap')) return own;
  const user = userInfo().username;
  const su = range('/etc/subuid', user, uid);
  const sg = range('/etc/subgid', user, uid);
  if (!su || !sg) return own;
  return {
    uid: [own.uid[0]!, { inside: 1, outside: su.start, count: su.count }],
    gid: [own.gid[0]!, { inside: 1, outside: sg.start, count: sg.count }],
    full: true,
  };
}

/** True when `uid`/`gid` inside have a mapping. */
export function isMapped(maps: IdMap[], id: number): boolean {
  return maps.some((m) => id >= m.inside && id < m.inside + m.count);
}
