/**
 * `-u` values: "uid", "uid:gid", "name", "name:group", resolved against the image's
 * /etc/passwd and /etc/group (pure: the caller passes the files' text).
 */
import { SpecError } from './errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const f = l.split(':');
      return { name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' };
    })
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const f = l.split(':');
      return { name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) };
    })
    .filter((e) => Number.isInteger(e.gid));
}

const NUM = /^\d+$/;

export function resolveUser(spec: string | undefined, passwdText: string, groupText: string): ResolvedUser {
  const passwd = parsePasswd(passwdText);
  const group = parseGroup(groupText);
  const value = spec && spec.length > 0 ? spec : '0';
  const [userPart, groupPart, ...extra] = value.split(':');
  if (!userPart || extra.length > 0 || groupPart === '') {
    throw new SpecError('bad-user', `invalid --user "${value}"`, { fix: 'use UID, UID:GID, NAME or NAME:GROUP' });
  }
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  let home = '/';
  if (NUM.test(userPart)) {
    uid = Number(userPart);
    const e = passwd.find((p) => p.uid === uid);
    if (e) {
      gid = e.gid;
      name = e.name;
      home = e.home;
    }
  } else {
    const e = passwd.find((p) => p.name === userPart);
    if (!e) {
      throw new SpecError('no-such-user', `user "${userPart}" is not in the image's /etc/passwd`, {
        fix: 'give a numeric UID or a user the image has',
      });
    }
    uid = e.uid;
    gid = e.gid;
    name = e.name;
    home = e.home;
  }
  if (groupPart !== undefined) {
    if (NUM.test(groupPart)) gid = Number(groupPart);
    else {
      const g = group.find((x) => x.name === groupPart);
      if (!g)
        throw new SpecError('no-such-group', `group "${groupPart}" is not in the image's /etc/group`, {
          fix: 'give a numeric GID or a group the image has',
        });
      gid = g.gid;
    }
  }
  if (uid > 0xfffffffe || (gid ?? 0) > 0xfffffffe) {
    throw new SpecError('bad-user', `invalid --user "${value}": id out of range`, { fix: 'use ids below 4294967295' });
  }
  const finalGid = gid ?? uid;
  const groups = name ? group.filter((g) => g.members.includes(name!) && g.gid !== finalGid).map((g) => g.gid) : [];
  return { uid, gid: finalGid, groups, home: uid === 0 && home === '/' ? '/root' : home };
}
