/**
 * Pull an image from a registry into the blob store: manifest (selecting this machine's
 * platform from an index or manifest list), config and layers, all verified; then record
 * the reference in the image index. Unpacking the layers is someone else's job: this
 * returns the layer descriptors with their compression.
 */
import { ImageError } from '../../core/errors.js';
import type { TransferHook } from '../../core/transfer.js';
import type { ImageConfig } from '../image.js';
import type { RegistryImageRef } from '../ref.js';
import { BlobStore } from '../store/blob-store.js';
import { ImageIndex } from '../store/image-index.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import {
  DOCKER_MANIFEST,
  INDEX_TYPES,
  MANIFEST_TYPES,
  OCI_MANIFEST,
  layerCompression,
  type LayerCompression,
} from './media-types.js';
import { hostPlatform, platformString, selectPlatform, type IndexEntry, type Platform } from './platform.js';

export interface PullOptions extends RegistryClientOptions {
  imagesDir: string;
  platform?: Platform;
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
  onProgress?: (msg: string) => void;
  /** Bytes of each blob as it downloads. */
  onTransfer?: TransferHook;
  /** Reuse a client (and its tokens). */
  client?: RegistryClient;
}

export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  compression: LayerCompression;
  /** Path of the verified blob in the store. */
  path: string;
}

/** The parts of an OCI/Docker image config berth reads. */
export interface OciImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

export interface PulledImage {
  /** Canonical reference, the key in the image index. */
  ref: string;
  /** Digest the reference resolved to (the index's when the registry served one). */
  digest: string;
  /** The platform manifest's digest (equals `digest` without an index). */
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  config: OciImageConfig;
  /** Bottom layer first, as in the manifest. */
  layers: LayerDescriptor[];
  stats: { blobsDownloaded: number; bytesDownloaded: number; blobsResumed: number; blobsPresent: number };
}

interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: IndexEntry[];
  config?: { mediaType?: string; digest: string; size: number };
  layers?: { mediaType: string; digest: string; size: number }[];
}

/** Run `fn` over items, at most `limit` at a time; rejects with the first error after all settle. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let firstError: unknown;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
  return results;
}

function badManifest(what: string, why: string): ImageError {
  return new ImageError('bad-manifest', `the manifest of ${what} is invalid: ${why}`, {
    fix: 'the image is broken in the registry; report it to its publisher',
  });
}

/** Pull `ref` into `opts.imagesDir`. */
export async function pullImage(ref: RegistryImageRef, opts: PullOptions): Promise<PulledImage> {
  const store = new BlobStore(opts.imagesDir);
  store.ensureDirs();
  const client = opts.client ?? new RegistryClient(ref.registry, opts);
  const platform = opts.platform ?? hostPlatform();
  const progress = opts.onProgress ?? (() => {});
  const what = ref.canonical;

  progress(`resolving ${what}`);
  const top = await client.getManifest(ref.repository, ref.reference);
  store.putBytes(top.body, top.digest);
  let manifest = top;
  if (INDEX_TYPES.has(top.mediaType) || (top.mediaType === '' && Array.isArray(top.json.manifests))) {
    const entries = (top.json as ManifestJson).manifests;
    if (!Array.isArray(entries)) throw badManifest(what, 'an index without manifests');
    const chosen = selectPlatform(entries, platform, what);
    progress(`${what}: ${platformString(chosen.platform ?? platform)} is ${chosen.digest}`);
    manifest = await client.getManifest(ref.repository, chosen.digest);
    store.putBytes(manifest.body, manifest.digest);
  }
  if (!MANIFEST_TYPES.has(manifest.mediaType)) {
    throw new ImageError(
      'unsupported-manifest',
      `${what} has a manifest of type "${manifest.mediaType || 'unknown'}"`,
      {
        fix: `berth reads ${OCI_MANIFEST} and ${DOCKER_MANIFEST} (schema 1 manifests are not supported)`,
      },
    );
  }
  const m = manifest.json as ManifestJson;
  if (!m.config || typeof m.config.digest !== 'string' || !Array.isArray(m.layers))
    throw badManifest(what, 'no config or layers');

  const stats = { blobsDownloaded: 0, bytesDownloaded: 0, blobsResumed: 0, blobsPresent: 0 };
  const count = (r: { downloaded: boolean; bytes: number; resumed: boolean }) => {
    if (r.downloaded) stats.blobsDownloaded++;
    else stats.blobsPresent++;
    if (r.resumed) stats.blobsResumed++;
    stats.bytesDownloaded += r.bytes;
  };

  const layers = m.layers.map((l) => {
    const compression = layerCompression(l.mediaType);
    if (compression === undefined) {
      throw new ImageError('unsupported-layer', `${what} has a layer of type "${l.mediaType}"`, {
        fix: 'berth unpacks tar layers, uncompressed, gzip or zstd',
      });
    }
    if (typeof l.digest !== 'string' || typeof l.size !== 'number')
      throw badManifest(what, 'a layer without digest or size');
    return { mediaType: l.mediaType, digest: l.digest, size: l.size, compression, path: store.path(l.digest) };
  });

  count(await client.downloadBlob(ref.repository, m.config, store, opts.onTransfer, 'config'));
  const config = store.readJson<OciImageConfig>(m.config.digest);
  if (config.os !== undefined && config.os !== platform.os) {
    throw new ImageError(
      'no-platform',
      `${what} is an image for ${config.os}/${config.architecture ?? '?'}, not ${platformString(platform)}`,
      {
        fix: 'pick an image published for this machine',
      },
    );
  }
  let done = 0;
  await mapLimit(layers, opts.concurrency ?? 3, async (l) => {
    const r = await client.downloadBlob(
      ref.repository,
      l,
      store,
      opts.onTransfer,
      `layer ${l.digest.replace(/^sha256:/, '').slice(0, 12)}`,
    );
    count(r);
    progress(
      `${what}: layer ${++done}/${layers.length} ${r.downloaded ? `downloaded (${r.bytes} bytes${r.resumed ? ', resumed' : ''})` : 'already present'}`,
    );
  });

  await new ImageIndex(opts.imagesDir).put({
    ref: ref.canonical,
    digest: top.digest,
    mediaType: top.mediaType,
    size: top.body.length,
    manifestDigest: manifest.digest,
  });
  return {
    ref: ref.canonical,
    digest: top.digest,
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    configDigest: m.config.digest,
    config,
    layers,
    stats,
  };
}

/** The ImageConfig (src/images/image.ts) of an OCI/Docker image config. */
export function imageConfigOf(c: OciImageConfig): ImageConfig {
  const env: Record<string, string> = {};
  for (const kv of c.config?.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    env,
    cmd: c.config?.Cmd ?? [],
    entrypoint: c.config?.Entrypoint ?? [],
    workdir: c.config?.WorkingDir || '/',
    user: c.config?.User ?? '',
  };
}
