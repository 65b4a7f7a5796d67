/**
 * The export's overlay view computed in user space (no mount), checked against the kernel's own
 * overlayfs mount of the same directories: whiteouts, an opaque directory, a file replaced by a
 * directory, hard links. Root: creates 0:0 whiteouts and trusted.overlay xattrs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergedTar } from '../../../src/images/sources/merged-tree.js';
import { makeIdMapper } from '../../../src/images/commit/layer.js';
import { isRoot } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

function listing(tarFile: string): string[] {
  return spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map((p) => p.replace(/\/$/, ''))
    .sort();
}

test('merged view = what overlayfs shows', async (t) => {
  if (!requireThat(t, isRoot(), 'root (mknod whiteouts, trusted.* xattrs, overlay mount)')) return;
  const w = mkdtempSync(join(tmpdir(), 'berth-merged-'));
  try {
    const lower1 = join(w, 'l1');
    const lower2 = join(w, 'l2');
    const upper = join(w, 'upper');
    for (const d of ['a', 'b', 'c']) mkdirSync(join(lower1, d), { recursive: true });
    writeFileSync(join(lower1, 'a', 'x'), 'x');
    writeFileSync(join(lower1, 'a', 'y'), 'y');
    writeFileSync(join(lower1, 'b', 'z'), 'z');
    writeFileSync(join(lower1, 'c', 'old'), 'old');
    writeFileSync(join(lower1, 'f'), 'file');
    mkdirSync(join(lower2, 'c'), { recursive: true });
    writeFileSync(join(lower2, 'c', 'mid'), 'mid');
    writeFileSync(join(lower2, 'h1'), 'linked');
    linkSync(join(lower2, 'h1'), join(lower2, 'h2'));
    mkdirSync(join(upper, 'a'), { recursive: true });
    writeFileSync(join(upper, 'a', 'new'), 'new');
    const py = spawnSync('python3', [
      '-c',
      'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")',
      join(upper, 'a'),
    ]);
    assert.equal(py.status, 0, String(py.stderr));
    assert.equal(spawnSync('mknod', [join(upper, 'b'), 'c', '0', '0']).status, 0);
    mkdirSync(join(upper, 'f'));
    writeFileSync(join(upper, 'f', 'inside'), 'dir now');
    mkdirSync(join(upper, 'c'));
    writeFileSync(join(upper, 'c', 'top'), 'top');

    const ours = join(w, 'ours.tar');
    const chunks: Buffer[] = [];
    for (const c of mergedTar({ sources: [upper, lower2, lower1], rootless: false, ids: makeIdMapper(false) }))
      chunks.push(c);
    writeFileSync(ours, Buffer.concat(chunks));

    const mnt = join(w, 'mnt');
    mkdirSync(mnt);
    mkdirSync(join(w, 'work'));
    const m = spawnSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower2}:${lower1},upperdir=${upper},workdir=${join(w, 'work')}`,
      mnt,
    ]);
    assert.equal(m.status, 0, String(m.stderr));
    let kernel: string[];
    try {
      const tar = spawnSync('tar', ['-C', mnt, '-cf', join(w, 'kernel.tar'), '.'], { encoding: 'utf8' });
      assert.ok(tar.status === 0 || tar.status === 1, tar.stderr); // 1: "file changed as we read it" on the overlay root
      kernel = listing(join(w, 'kernel.tar'))
        .map((p) => p.replace(/^\.\/?/, ''))
        .filter(Boolean)
        .sort();
    } finally {
      spawnSync('umount', [mnt]);
    }
    assert.deepEqual(listing(ours), kernel);
    assert.deepEqual(listing(ours), ['a', 'a/new', 'c', 'c/mid', 'c/old', 'c/top', 'f', 'f/inside', 'h1', 'h2']);
    const v = spawnSync('tar', ['-tvf', ours, 'h2'], { encoding: 'utf8' }).stdout;
    assert.match(v, /^h/, `h2 is a hard link in the archive: ${v}`);
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
});
