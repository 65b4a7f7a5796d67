/**
 * newuidmap/newgidmap and this user's subordinate id ranges (/etc/subuid, /etc/subgid), which a
 * normal user needs to map more than its own uid into a user namespace.
 */
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { type Finding, fail, guard, ok } from './finding.js';
import { findExecutable, isRootUser, readText } from './exec.js';

export interface SubidRange {
  start: number;
  count: number;
}

/**
 * Pure: the first range for `user` (by name or numeric uid) in an /etc/subuid or /etc/subgid
 * text (`name:start:count` lines). Comments, blank and malformed lines are skipped.
 */
export function parseSubidFile(text: string, user: string, uid: number): SubidRange | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    if (parts.length !== 3) continue;
    const [who = '', s = '', c = ''] = parts;
    if (who !== user && who !== String(uid)) continue;
    if (!/^\d+$/.test(s) || !/^\d+$/.test(c)) continue;
    const start = Number(s);
    const count = Number(c);
    if (count <= 0 || !Number.isSafeInteger(start) || !Number.isSafeInteger(count)) continue;
    return { start, count };
  }
  return undefined;
}

export interface Subids {
  user: string;
  uid: number;
  uidRange?: SubidRange;
  gidRange?: SubidRange;
  newuidmap?: string;
  newgidmap?: string;
}

/** Read this user's ranges and helper paths (never throws). */
export function readSubids(): Subids {
  let user = process.env.USER ?? '';
  let uid = process.getuid?.() ?? -1;
  try {
    const u = userInfo();
    user = u.username;
    uid = u.uid;
  } catch {
    /* no passwd entry: numeric uid still matches */
  }
  const out: Subids = { user, uid };
  const su = parseSubidFile(readText('/etc/subuid') ?? '', user, uid);
  const sg = parseSubidFile(readText('/etc/subgid') ?? '', user, uid);
  if (su) out.uidRange = su;
  if (sg) out.gidRange = sg;
  const nu = findExecutable('newuidmap');
  const ng = findExecutable('newgidmap');
  if (nu) out.newuidmap = nu;
  if (ng) out.newgidmap = ng;
  return out;
}

function privileged(path: string): boolean {
  try {
    return (statSync(path).mode & 0o4000) !== 0;
  } catch {
    return false;
  }
}

export function probeSubids(): Promise<Finding> {
  return guard('subordinate ids', () => {
    const s = readSubids();
    const fmt = (r?: SubidRange): string => (r ? `${r.start}+${r.count}` : 'none');
    const ranges = `subuid ${fmt(s.uidRange)}, subgid ${fmt(s.gidRange)}`;
    if (isRootUser()) return ok(`root writes uid/gid maps itself (${ranges})`, 'root');
    if (!s.newuidmap || !s.newgidmap) {
      return fail(`newuidmap/newgidmap not installed (apt-get install uidmap); only a single-uid map is possible`);
    }
    const setuid = privileged(s.newuidmap) && privileged(s.newgidmap);
    const where = `${s.newuidmap}, ${s.newgidmap}`;
    const helpers = setuid
      ? `newuidmap/newgidmap setuid (${where})`
      : `newuidmap/newgidmap present (${where}; not setuid: must carry file capabilities)`;
    if (!s.uidRange || !s.gidRange) {
      return fail(
        `${helpers}, but no range for ${s.user} (uid ${s.uid}) in /etc/subuid or /etc/subgid (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${s.user}); ${ranges}`,
      );
    }
    return ok(`${helpers}; ${ranges}`, `${s.uidRange.start}:${s.uidRange.count}`);
  });
}
