/**
 * A Docker 25+ `docker save` archive holds both an OCI layout (oci-layout, index.json) and the
 * docker manifest.json over the same blobs. The README runs one app.tar as `oci-archive:app.tar:1`
 * and as `docker-archive:app.tar`: both must import (the asked-for format wins), and `berth load`
 * (no format asked for) takes the OCI layout. No root needed: the store is a temp directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { importArchive } from '../../../src/images/sources/archive-import.js';
import { goArch } from '../../../src/images/registry/platform.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A docker-save style archive with both layouts: one uncompressed layer holding etc/msg. */
async function combinedArchive(work: string): Promise<string> {
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'etc', 'msg'), 'hi\n');
  const layerFile = join(work, 'layer.tar');
  await tarCreate({ file: layerFile, cwd: tree, portable: true }, ['etc']);
  const layer = (await import('node:fs')).readFileSync(layerFile);
  const dir = join(work, 'archive');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(dir, 'blobs', 'sha256', sha(b)), b);
    return sha(b);
  };
  const layerHex = put(layer);
  const config = Buffer.from(JSON.stringify({ architecture: goArch(), os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] } }));
  const configHex = put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerHex}`, size: layer.length }],
  }));
  const manifestHex = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${manifestHex}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': '1' } }],
  }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: ['team/app:1'], Layers: [`blobs/sha256/${layerHex}`] }]));
  const out = join(work, 'app.tar');
  await tarCreate({ file: out, cwd: dir, portable: true }, ['oci-layout', 'index.json', 'manifest.json', 'blobs']);
  return out;
}

test('a docker save archive with both layouts imports as docker-archive: and as oci-archive:', async () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-combined-archive-'));
  try {
    const archive = await combinedArchive(work);
    const imagesDir = join(work, 'images');
    const docker = await importArchive(archive, { imagesDir, format: 'docker-archive' });
    assert.equal(docker.format, 'docker-archive');
    assert.deepEqual(docker.images.map((i) => i.names), [['docker.io/team/app:1']]);
    const oci = await importArchive(archive, { imagesDir, format: 'oci-archive', tag: '1' });
    assert.equal(oci.format, 'oci-archive');
    const loaded = await importArchive(archive, { imagesDir });
    assert.equal(loaded.format, 'oci-archive', 'berth load takes the OCI layout');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
