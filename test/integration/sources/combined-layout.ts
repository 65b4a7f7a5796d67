/**
 * An image archive as Docker 25+ `docker save` writes it: an OCI layout (oci-layout, index.json
 * naming the image `tag`) and the docker manifest.json (RepoTags `repoTag`) over the same blobs,
 * one uncompressed layer (the tree at `tree`). Also usable as a plain OCI layout (skopeo `oci:DIR:TAG`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { goArch } from '../../../src/images/registry/platform.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface CombinedLayout {
  /** The layout directory. */
  dir: string;
  /** The tar of it. */
  archive: string;
}

export async function combinedLayout(
  work: string,
  tree: string,
  opts: { tag: string; repoTag: string; name?: string },
): Promise<CombinedLayout> {
  const name = opts.name ?? 'app';
  const layerFile = join(work, `${name}-layer.tar`);
  await tarCreate({ file: layerFile, cwd: tree, portable: true }, ['.']);
  const layer = readFileSync(layerFile);
  const dir = join(work, `${name}-layout`);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(dir, 'blobs', 'sha256', sha(b)), b);
    return sha(b);
  };
  const layerHex = put(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
    }),
  );
  const configHex = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${configHex}`,
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerHex}`, size: layer.length },
      ],
    }),
  );
  const manifestHex = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestHex}`,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': opts.tag },
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify([
      { Config: `blobs/sha256/${configHex}`, RepoTags: [opts.repoTag], Layers: [`blobs/sha256/${layerHex}`] },
    ]),
  );
  const archive = join(work, `${name}.tar`);
  await tarCreate({ file: archive, cwd: dir, portable: true }, ['oci-layout', 'index.json', 'manifest.json', 'blobs']);
  return { dir, archive };
}
