/**
 * A Docker 25+ `docker save` archive holds both an OCI layout (oci-layout, index.json) and the
 * docker manifest.json over the same blobs. The README runs one app.tar as `oci-archive:app.tar:1`
 * and as `docker-archive:app.tar`: both must import (the asked-for format wins), and `berth load`
 * (no format asked for) takes the OCI layout. No root needed: the store is a temp directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importArchive } from '../../../src/images/sources/archive-import.js';
import { combinedLayout } from './combined-layout.js';

async function combinedArchive(work: string): Promise<string> {
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'msg'), 'hi\n');
  return (await combinedLayout(work, tree, { tag: '1', repoTag: 'team/app:1' })).archive;
}

test('a docker save archive with both layouts imports as docker-archive: and as oci-archive:', async () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-combined-archive-'));
  try {
    const archive = await combinedArchive(work);
    const imagesDir = join(work, 'images');
    const docker = await importArchive(archive, { imagesDir, format: 'docker-archive' });
    assert.equal(docker.format, 'docker-archive');
    assert.deepEqual(
      docker.images.map((i) => i.names),
      [['docker.io/team/app:1']],
    );
    const oci = await importArchive(archive, { imagesDir, format: 'oci-archive', tag: '1' });
    assert.equal(oci.format, 'oci-archive');
    const loaded = await importArchive(archive, { imagesDir });
    assert.equal(loaded.format, 'oci-archive', 'berth load takes the OCI layout');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
