/**
 * `berth save`: a stored image as an `oci-archive` (an OCI image layout in a tar: oci-layout,
 * index.json naming the image in org.opencontainers.image.ref.name, blobs/sha256/*) or a
 * `docker-archive` (manifest.json with RepoTags, the config as HEX.json, each layer as an
 * uncompressed HEX.tar whose digest is its diff_id, as `docker load` wants). Written to a temp
 * file beside the target and renamed, or streamed to a writable (stdout).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../../core/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { REF_NAME_ANNOTATION } from '../store/image-index.js';
import { OCI_MANIFEST } from '../registry/media-types.js';
import { openDecompressed } from '../unpack/decompress.js';
import { TAR_END, tarHeader, tarPadding } from '../unpack/tar-writer.js';
import type { ManifestJson } from './stored-image.js';

export type SaveFormat = 'oci-archive' | 'docker-archive';

export interface SaveSource {
  /** Name written into the archive. */
  name: string;
  /** Platform manifest digest. */
  manifestDigest: string;
}

const MTIME = 0; // reproducible archives

async function write(out: Writable, b: Buffer): Promise<void> {
  if (!out.write(b)) await once(out, 'drain');
}

async function fileEntry(out: Writable, path: string, data: Buffer): Promise<void> {
  await write(out, tarHeader({ path, type: '0', mode: 0o644, mtime: MTIME, size: data.length }));
  await write(out, data);
  await write(out, tarPadding(data.length));
}

async function blobEntry(out: Writable, path: string, file: string): Promise<void> {
  const size = statSync(file).size;
  await write(out, tarHeader({ path, type: '0', mode: 0o644, mtime: MTIME, size }));
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) await write(out, c as Buffer);
  await write(out, tarPadding(size));
}

async function writeOci(out: Writable, store: BlobStore, src: SaveSource): Promise<void> {
  const manifestBytes = store.read(src.manifestDigest);
  const m = JSON.parse(manifestBytes.toString('utf8')) as ManifestJson;
  await fileEntry(out, 'oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: m.mediaType ?? OCI_MANIFEST,
        digest: src.manifestDigest,
        size: manifestBytes.length,
        annotations: { [REF_NAME_ANNOTATION]: src.name },
      },
    ],
  };
  await fileEntry(out, 'index.json', Buffer.from(JSON.stringify(index)));
  await write(out, tarHeader({ path: 'blobs/', type: '5', mode: 0o755, mtime: MTIME }));
  await write(out, tarHeader({ path: 'blobs/sha256/', type: '5', mode: 0o755, mtime: MTIME }));
  const seen = new Set<string>();
  for (const d of [src.manifestDigest, m.config.digest, ...m.layers.map((l) => l.digest)]) {
    if (seen.has(d)) continue;
    seen.add(d);
    await blobEntry(out, `blobs/sha256/${d.slice(7)}`, store.path(d));
  }
}

/** A layer as an uncompressed tar in a temp file; returns its path and digest (the diff_id). */
async function plainLayer(store: BlobStore, digest: string): Promise<{ path: string; diffId: string }> {
  const tmp = join(store.tmpDir, `save-${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  const opened = await openDecompressed(
    createReadStream(store.path(digest), { highWaterMark: 1 << 20 }),
    ['gzip', 'zstd', 'none'],
    `layer ${digest}`,
  );
  const h = createHash('sha256');
  try {
    await pipeline(
      opened.tar,
      async function* (s: AsyncIterable<Buffer>) {
        for await (const c of s) {
          h.update(c);
          yield c;
        }
      },
      createWriteStream(tmp, { mode: 0o600 }),
    );
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    opened.close();
  }
  return { path: tmp, diffId: `sha256:${h.digest('hex')}` };
}

async function writeDocker(out: Writable, store: BlobStore, src: SaveSource): Promise<void> {
  const m = store.readJson<ManifestJson>(src.manifestDigest);
  const cfgHex = m.config.digest.slice(7);
  await blobEntry(out, `${cfgHex}.json`, store.path(m.config.digest));
  const layerFiles: string[] = [];
  for (const l of m.layers) {
    const plain = await plainLayer(store, l.digest);
    try {
      const name = `${plain.diffId.slice(7)}.tar`;
      if (!layerFiles.includes(name)) await blobEntry(out, name, plain.path);
      layerFiles.push(name);
    } finally {
      rmSync(plain.path, { force: true });
    }
  }
  const tag = src.name.startsWith('docker.io/library/') ? src.name.slice('docker.io/library/'.length) : src.name;
  const repoTags = /^[a-z0-9]/.test(tag) && !tag.includes('@') && !/^[a-z-]+:\//.test(tag) ? [tag] : [];
  await fileEntry(
    out,
    'manifest.json',
    Buffer.from(JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: repoTags, Layers: layerFiles }])),
  );
}

/** Write `src` as an archive to `out` (a stream) — the caller ends it. */
export async function writeArchive(
  out: Writable,
  store: BlobStore,
  src: SaveSource,
  format: SaveFormat,
): Promise<void> {
  if (format === 'oci-archive') await writeOci(out, store, src);
  else await writeDocker(out, store, src);
  await write(out, TAR_END);
}

/** Write `src` as an archive file, atomically (temp file + rename). */
export async function saveToFile(file: string, store: BlobStore, src: SaveSource, format: SaveFormat): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.berth-${randomBytes(6).toString('hex')}`);
  let out;
  try {
    out = createWriteStream(tmp, { mode: 0o644 });
    await once(out, 'open');
  } catch (e) {
    throw new ImageError('cannot-write', `cannot write ${file}: ${(e as Error).message}`, {
      fix: 'choose a writable path for -o',
      cause: e,
    });
  }
  try {
    await writeArchive(out, store, src, format);
    out.end();
    await once(out, 'close');
    renameSync(tmp, file);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}
