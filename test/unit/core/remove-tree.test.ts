/** removeTreeQuickly (EnvStore.removeDir's first try, ADR 0073): what it removes, and what it leaves to rmSync. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTreeQuickly } from '../../../src/core/remove-tree.js';

test('removes files, nested directories, symlinks (not their targets) and fifos', () => {
  const base = mkdtempSync(join(tmpdir(), 'berth-rmtree-'));
  try {
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'x');
    const env = join(base, 'env');
    mkdirSync(join(env, 'work', 'work'), { recursive: true });
    mkdirSync(join(env, 'rootfs'));
    for (const f of ['config.json', 'state.json', 'ctr.log']) writeFileSync(join(env, f), '{}');
    symlinkSync(outside, join(env, 'link-to-dir'));
    symlinkSync(join(base, 'nowhere'), join(env, 'dangling'));
    execFileSync('mkfifo', [join(env, 'fifo')]);
    removeTreeQuickly(env);
    assert.equal(existsSync(env), false);
    assert.equal(existsSync(join(outside, 'keep')), true, 'a symlinked directory is not followed');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a missing directory throws (the caller falls back to rmSync with force)', () => {
  assert.throws(() => removeTreeQuickly(join(tmpdir(), 'berth-rmtree-missing-0')), { code: 'ENOENT' });
});
