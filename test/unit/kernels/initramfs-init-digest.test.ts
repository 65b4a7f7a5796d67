/**
 * The guest init's digest, which keys the initramfs, is remembered per identity of its file
 * (init.verified beside the initramfs files), so a VM start does not read and hash the binary;
 * a rewritten init is hashed again, and a record that lies about the file cannot put a stale key
 * on a new initramfs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { INIT_STAMP, buildInitramfs, initDigest } from '../../../src/kernels/initramfs.js';
import type { Kernel } from '../../../src/kernels/kernel.js';

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

function scratch(): { dir: string; init: string; cache: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-init-digest-'));
  return { dir, init: join(dir, 'init'), cache: join(dir, 'initramfs'), done: () => rmSync(dir, { recursive: true }) };
}

/** The stamp's digest replaced by another (as if the file had been hashed to it). */
function forgeStamp(cache: string, digest: string): void {
  const path = join(cache, INIT_STAMP);
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), sha256: digest }));
}

test('initDigest: hashed once, then taken from init.verified while the file is the same', () => {
  const s = scratch();
  try {
    writeFileSync(s.init, 'init one');
    assert.equal(initDigest(s.init, s.cache), sha('init one'));
    const forged = 'f'.repeat(64);
    forgeStamp(s.cache, forged);
    assert.equal(initDigest(s.init, s.cache), forged, 'the same file is not read again');
    writeFileSync(s.init, 'init two, rewritten');
    assert.equal(initDigest(s.init, s.cache), sha('init two, rewritten'), 'a rewritten init is hashed again');
  } finally {
    s.done();
  }
});

test('buildInitramfs: a stamp that names the wrong digest is caught when the initramfs is built', async () => {
  const s = scratch();
  try {
    writeFileSync(s.init, '#!/bin/sh\necho real init\n');
    const kernel = {
      name: 'k',
      version: '1',
      format: 'uml',
      kernel: '/k',
      bootModules: [],
      sha256: 'k'.repeat(64),
      cacheDir: s.dir,
      origin: 'path',
    } satisfies Kernel;
    initDigest(s.init, s.cache);
    forgeStamp(s.cache, 'e'.repeat(64));
    const built = await buildInitramfs({ kernel, init: s.init, modules: [] });
    assert.equal(built.cached, false);
    assert.ok(gunzipSync(readFileSync(built.path)).includes('echo real init'), 'the initramfs holds the init');
    assert.equal(initDigest(s.init, s.cache), sha('#!/bin/sh\necho real init\n'), 'the stamp was put right');
    const again = await buildInitramfs({ kernel, init: s.init, modules: [] });
    assert.deepEqual([again.path, again.cached], [built.path, true], 'the right key finds it next time');
  } finally {
    s.done();
  }
});
