/**
 * Images that live in the store as OCI manifests (pulled, committed, imported from a tarball or
 * an archive): write one (config + manifest + index record), and turn a record into what a
 * backend needs (each layer unpacked once into <imagesDir>/layers/<hex>, topmost first).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedImage } from '../image.js';
import { ImageError } from '../../core/errors.js';
import { BlobStore } from '../store/blob-store.js';
import { ImageIndex } from '../store/image-index.js';
import { imageConfigOf, type OciImageConfig } from '../registry/pull.js';
import { OCI_CONFIG, OCI_MANIFEST, layerCompression } from '../registry/media-types.js';
import { hostPlatform } from '../registry/platform.js';
import { unpackLayer } from '../unpack/index.js';

export interface LayerDesc {
  mediaType: string;
  digest: string;
  size: number;
}
export interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config: LayerDesc;
  layers: LayerDesc[];
  annotations?: Record<string, string>;
}

/** A minimal OCI config for a root filesystem that comes without one (tarballs). */
export function rootfsConfig(diffIds: string[], createdBy: string): OciImageConfig & Record<string, unknown> {
  const p = hostPlatform();
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/bin/sh'],
      WorkingDir: '/',
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created_by: createdBy }],
  };
}

/** Store config and manifest (deterministic bytes: same content, same digest) and record `refs`. */
export async function recordImage(
  imagesDir: string,
  refs: string[],
  layers: LayerDesc[],
  config: object | Buffer,
): Promise<string> {
  const store = new BlobStore(imagesDir);
  store.ensureDirs();
  const configBytes = Buffer.isBuffer(config) ? config : Buffer.from(JSON.stringify(config));
  const configDigest = store.putBytes(configBytes);
  const manifest: ManifestJson = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: configBytes.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = store.putBytes(bytes);
  const index = new ImageIndex(imagesDir);
  for (const ref of refs)
    await index.put({ ref, digest, mediaType: OCI_MANIFEST, size: bytes.length, manifestDigest: digest });
  return digest;
}

export interface UnpackStoredOptions {
  imagesDir: string;
  rootless: boolean;
  onProgress?: (msg: string) => void;
  /** Unpack warnings (skipped device nodes, owners not mapped). */
  onWarning?: (msg: string) => void;
}

/** The stored platform manifest `manifestDigest` as layer dirs + config (unpacking what is not yet). */
export async function resolveManifest(
  ref: string,
  manifestDigest: string,
  opts: UnpackStoredOptions,
): Promise<ResolvedImage> {
  const store = new BlobStore(opts.imagesDir);
  const manifest = store.readJson<ManifestJson>(manifestDigest);
  const config = imageConfigOf(store.readJson(manifest.config.digest));
  const layerDirs: string[] = [];
  mkdirSync(join(opts.imagesDir, 'layers'), { recursive: true, mode: 0o755 });
  for (const l of manifest.layers) {
    const hex = l.digest.replace(/^sha256:/, '');
    const dest = join(opts.imagesDir, 'layers', hex);
    if (!existsSync(dest)) {
      if (!store.has(l.digest)) {
        throw new ImageError('blob-missing', `layer ${l.digest} of ${ref} is missing from the store`, {
          fix: `pull or load ${ref} again`,
        });
      }
      await store.withLock(l.digest, async () => {
        if (existsSync(dest)) return;
        opts.onProgress?.(`unpacking layer ${hex.slice(0, 12)}`);
        await unpackLayer({
          path: store.path(l.digest),
          compression: layerCompression(l.mediaType) ?? 'auto',
          dest,
          rootless: opts.rootless,
          ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        });
      });
    }
    layerDirs.push(dest);
  }
  return { ref, digest: manifestDigest, layers: layerDirs.reverse(), config };
}

/** A recorded image by its canonical reference, or undefined when not recorded / incomplete. */
export async function resolveRecorded(
  canonical: string,
  opts: UnpackStoredOptions,
): Promise<ResolvedImage | undefined> {
  const rec = new ImageIndex(opts.imagesDir).get(canonical);
  if (!rec || !new BlobStore(opts.imagesDir).has(rec.manifestDigest)) return undefined;
  return resolveManifest(canonical, rec.manifestDigest, opts);
}
