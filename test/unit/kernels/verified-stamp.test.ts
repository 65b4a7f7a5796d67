import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sha256File, verifyCached, type CachedEntry } from '../../../src/kernels/cache.js';
import { fileIdentity, stampVouches, VERIFIED_STAMP } from '../../../src/kernels/verified-stamp.js';
import { KernelError } from '../../../src/core/errors.js';
import type { KernelRecord } from '../../../src/kernels/kernel.js';

function cacheEntry(dir: string, data: Buffer): CachedEntry {
  writeFileSync(join(dir, 'kernel'), data);
  const record: KernelRecord = {
    name: 'uml',
    version: '1',
    format: 'uml',
    kernel: 'kernel',
    bootModules: [],
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    origin: 'mirror',
    package: { name: 'p', version: '1' },
    fetchedAt: new Date(0).toISOString(),
  };
  return { dir, record };
}

/** sha256File, counting its calls. */
function countingHash(): { hash: (p: string) => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    hash: (p) => {
      n++;
      return sha256File(p);
    },
    calls: () => n,
  };
}

test('a cached kernel is hashed once while its file stays the same, again once it changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-stamp-'));
  try {
    const entry = cacheEntry(dir, Buffer.from('kernel bytes'));
    const h = countingHash();
    await verifyCached(entry, h.hash);
    assert.equal(h.calls(), 1, 'the first resolve hashes');
    assert.ok(existsSync(join(dir, VERIFIED_STAMP)), 'and records what it hashed');
    await verifyCached(entry, h.hash);
    await verifyCached(entry, h.hash);
    assert.equal(h.calls(), 1, 'the same file is not hashed again');

    // Touched (same bytes): hashed again, still good.
    utimesSync(join(dir, 'kernel'), new Date(1000), new Date(1000));
    await verifyCached(entry, h.hash);
    assert.equal(h.calls(), 2);

    // Rewritten in place with other bytes of the same size: refused, as without the stamp.
    writeFileSync(join(dir, 'kernel'), Buffer.from('kernel BYTES'));
    await assert.rejects(verifyCached(entry, h.hash), (e: unknown) => {
      assert.ok(e instanceof KernelError && e.code === 'kernel-digest-mismatch');
      return true;
    });

    // Replaced by another file (a new inode) with the recorded bytes: hashed, accepted.
    writeFileSync(join(dir, 'kernel.new'), Buffer.from('kernel bytes'));
    renameSync(join(dir, 'kernel.new'), join(dir, 'kernel'));
    const before = h.calls();
    await verifyCached(entry, h.hash);
    assert.equal(h.calls(), before + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stamp vouches only for the identity and digest it names', () => {
  const id = { dev: '1', ino: '2', size: '3', mtimeNs: '4', ctimeNs: '5' };
  const stamp = { ...id, sha256: 'a'.repeat(64) };
  assert.equal(stampVouches(stamp, id, 'a'.repeat(64)), true);
  assert.equal(stampVouches(stamp, id, 'b'.repeat(64)), false);
  for (const k of Object.keys(id) as (keyof typeof id)[])
    assert.equal(stampVouches(stamp, { ...id, [k]: '9' }, 'a'.repeat(64)), false, k);
  assert.equal(stampVouches(undefined, id, 'a'.repeat(64)), false);
  assert.equal(stampVouches('x', id, 'a'.repeat(64)), false);
});

test("a file's identity names it in decimal strings", () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-stamp-'));
  try {
    writeFileSync(join(dir, 'f'), 'abc');
    const id = fileIdentity(join(dir, 'f'));
    assert.equal(id.size, '3');
    for (const v of Object.values(id)) assert.match(v, /^\d+$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
