import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxMappedId, ownerPlan } from '../../../src/images/unpack/owner-plan.js';
import type { LayerMetaFile } from '../../../src/images/unpack/layer-meta.js';

const meta: LayerMetaFile = {
  version: 1,
  entries: {
    '': { type: 'dir', mode: 0o755, uid: 0, gid: 0 },
    'etc/shadow': { type: 'file', mode: 0o640, uid: 0, gid: 42 },
    'usr/bin/passwd': { type: 'file', mode: 0o4755, uid: 0, gid: 0 },
    'var/www': { type: 'dir', mode: 0o2775, uid: 33, gid: 33 },
    'var/www/link': { type: 'symlink', mode: 0o777, uid: 33, gid: 33 },
    'var/www/hard': { type: 'hardlink', mode: 0o644, uid: 33, gid: 33 },
    'dev/null': { type: 'char', mode: 0o666, uid: 0, gid: 0, devmajor: 1, devminor: 3, skipped: true },
    huge: { type: 'file', mode: 0o600, uid: 100000, gid: 0 },
  },
};

test('ownerPlan: chowns non-root owners, keeps modes (setuid/setgid after chown), skips links, devices, unmapped ids', () => {
  const plan = ownerPlan(meta, 65536, 65536);
  assert.deepEqual(plan.ops, [
    { rel: 'etc/shadow', type: 'file', uid: 0, gid: 42, mode: 0o640 },
    { rel: 'var/www', type: 'dir', uid: 33, gid: 33, mode: 0o2775 },
    { rel: 'var/www/link', type: 'symlink', uid: 33, gid: 33 },
  ]);
  assert.deepEqual(plan.unmapped, ['huge']);
});

test('ownerPlan: with only the caller mapped, every non-root owner is unmapped', () => {
  const plan = ownerPlan(meta, 0, 0);
  assert.deepEqual(plan.ops, []);
  assert.deepEqual(plan.unmapped.sort(), ['etc/shadow', 'huge', 'var/www', 'var/www/link']);
});

test('maxMappedId: the top of the inside ranges', () => {
  assert.equal(maxMappedId([{ inside: 0, count: 1 }]), 0);
  assert.equal(
    maxMappedId([
      { inside: 0, count: 1 },
      { inside: 1, count: 65536 },
    ]),
    65536,
  );
});
