import { test } from 'node:test';
import assert from 'node:assert/strict';
import { umlHostUser, UML_ID_BASE, UML_ID_COUNT } from '../../../src/host/uml-host-user.js';
import { bitsFor, unreachable, type ModeOwner } from '../../../src/host/search-access.js';

test("root's uml kernel gets a non-root uid of its environment's own, in the documented block; a user's keeps its own", () => {
  const a = umlHostUser('a'.repeat(64), 0)!;
  const b = umlHostUser('b'.repeat(64), 0)!;
  for (const u of [a, b]) {
    assert.ok(u.uid >= UML_ID_BASE && u.uid < UML_ID_BASE + UML_ID_COUNT, String(u.uid));
    assert.equal(u.gid, u.uid);
    assert.notEqual(u.uid, 0);
  }
  assert.notEqual(a.uid, b.uid);
  assert.deepEqual(umlHostUser('a'.repeat(64), 0), a, 'stable for one environment');
  assert.equal(umlHostUser('a'.repeat(64), 1000), undefined);
  // Spread over the block: 2000 environments take many distinct ids.
  const ids = new Set(Array.from({ length: 2000 }, (_, i) => umlHostUser(`env${i}`, 0)!.uid));
  assert.ok(ids.size > 1950, String(ids.size));
});

const who = { uid: 1879048200, gid: 1879048200 };
const tree = (m: Record<string, ModeOwner>) => (p: string) => {
  const st = m[p];
  if (!st) throw new Error(`no ${p}`);
  return st;
};
const rootDir = (mode: number): ModeOwner => ({ mode: 0o40000 | mode, uid: 0, gid: 0 });

test('owner, group or other bits apply, as the kernel picks them', () => {
  assert.equal(bitsFor({ mode: 0o751, uid: who.uid, gid: 0 }, who), 7);
  assert.equal(bitsFor({ mode: 0o751, uid: 0, gid: who.gid }, who), 5);
  assert.equal(bitsFor({ mode: 0o751, uid: 0, gid: 0 }, who), 1);
});

test('a path is out of reach at the first directory above it that others cannot search, or at itself', () => {
  const base = { '/': rootDir(0o755), '/tmp': rootDir(0o1777), '/tmp/s': rootDir(0o700) };
  const stat = tree({ ...base, '/tmp/s/k': { mode: 0o100755, uid: 0, gid: 0 } });
  assert.deepEqual(unreachable('/tmp/s/k', 'x', who, stat), { path: '/tmp/s', lacks: 'search (x)' });
  const open = tree({ ...base, '/tmp/s': rootDir(0o711), '/tmp/s/k': { mode: 0o100600, uid: 0, gid: 0 } });
  assert.deepEqual(unreachable('/tmp/s/k', 'r', who, open), { path: '/tmp/s/k', lacks: 'r permission' });
  const mine = tree({ ...base, '/tmp/s': rootDir(0o711), '/tmp/s/k': { mode: 0o100600, uid: who.uid, gid: who.gid } });
  assert.equal(unreachable('/tmp/s/k', 'r', who, mine), undefined);
  assert.equal(unreachable('/tmp/s/./k', 'r', who, mine), undefined, 'resolved first');
});
