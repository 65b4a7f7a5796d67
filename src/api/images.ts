/** `berth pull` and `berth images`: registry and debian: images in the store. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import type { ResolvedImage } from '../images/image.js';
import { ImageError } from '../core/errors.js';

export async function pullInto(ctx: Context, ref: string, opts: { insecure?: string[]; onProgress?: (m: string) => void }): Promise<ResolvedImage> {
  const { parseImageRef } = await import('../images/ref.js');
  const parsed = parseImageRef(ref);
  if (parsed.kind === 'debian') {
    // `berth pull debian:SUITE` (re)builds it from the mirror.
    const { ensureDebianImage } = await import('../images/debian/debian-image.js');
    return ensureDebianImage(parsed, {
      imagesDir: ctx.paths.images, rootless: ctx.rootless, refresh: true,
      onWarning: (m) => process.stderr.write(`berth: warning: ${m}\n`),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  }
  if (parsed.kind !== 'registry') {
    throw new ImageError('not-pullable', `"${ref}" is not a registry or debian: image`, { fix: 'pull REGISTRY/REPO[:TAG|@DIGEST] or debian:SUITE[/VARIANT]; the builtin busybox needs no pull' });
  }
  const { ensureOciImage } = await import('../images/oci-image.js');
  return ensureOciImage(parsed, { imagesDir: ctx.paths.images, rootless: ctx.rootless, refresh: true, ...opts });
}

export interface ImageSummary {
  ref: string;
  digest: string;
  pulledAt: string;
}

export async function listImages(ctx: Context): Promise<ImageSummary[]> {
  const { ImageIndex } = await import('../images/store/image-index.js');
  return new ImageIndex(ctx.paths.images).list().map((r) => ({ ref: r.ref, digest: r.digest, pulledAt: r.pulledAt }));
}

/** Remove a pulled image's record (refused while an environment uses it, unless force), then prune. */
export async function removeImage(ctx: Context, ref: string, force: boolean): Promise<void> {
  const { parseImageRef } = await import('../images/ref.js');
  const parsed = parseImageRef(ref);
  const canonical = parsed.canonical;
  const users = ctx.store.list().filter((r) => r.image.ref === canonical || r.image.ref === ref);
  if (users.length > 0 && !force) {
    throw new ImageError('image-in-use', `image ${canonical} is used by ${users.map((u) => u.name).join(', ')}`, {
      fix: 'remove those environments first, or use rmi -f (they keep their layers until removed)',
    });
  }
  const { ImageIndex } = await import('../images/store/image-index.js');
  if (!(await new ImageIndex(ctx.paths.images).remove(canonical))) {
    throw new ImageError('no-such-image', `no such image: ${canonical}`, { fix: 'list images with "berth images"' });
  }
  await pruneImages(ctx);
}

/** Drop blobs no image references, and unpacked layers and VM base disks no image or environment uses. */
export async function pruneImages(ctx: Context): Promise<{ blobs: number; layers: number; disks: number; freedBytes: number }> {
  const [{ garbageCollect }, { BlobStore }, { removeLayer }] = await Promise.all([
    import('../images/store/gc.js'), import('../images/store/blob-store.js'), import('../images/unpack/remove-layer.js'),
  ]);
  const gc = await garbageCollect(ctx.paths.images, { graceMs: 0 });
  const store = new BlobStore(ctx.paths.images);
  const inUse = new Set(ctx.store.list().flatMap((r) => r.image.layers));
  const layersDir = join(ctx.paths.images, 'layers');
  let layers = 0;
  for (const hex of existsSync(layersDir) ? readdirSync(layersDir) : []) {
    const dir = join(layersDir, hex);
    if (!/^[0-9a-f]{64}$/.test(hex) || inUse.has(dir) || store.has(`sha256:${hex}`)) continue;
    removeLayer(dir, ctx.rootless); // rootless layers hold sub-id owned files (ADR 0014)
    layers++;
  }
  const { pruneDisksOf } = await import('./disks.js');
  const disks = await pruneDisksOf(ctx);
  return { blobs: gc.removed.length, layers, disks, freedBytes: gc.freedBytes };
}

/** Give a stored image another name (no data copied). */
export async function tagImage(ctx: Context, source: string, target: string): Promise<string> {
  const [{ parseImageRef }, { ImageIndex }] = await Promise.all([import('../images/ref.js'), import('../images/store/image-index.js')]);
  const src = parseImageRef(source);
  const dst = parseImageRef(target);
  if (dst.kind !== 'registry' || dst.digest) {
    throw new ImageError('bad-tag', `cannot tag as "${target}"`, { fix: 'use NAME[:TAG] or REGISTRY/REPO[:TAG], without a digest' });
  }
  const index = new ImageIndex(ctx.paths.images);
  const rec = index.get(src.canonical);
  if (!rec) throw new ImageError('no-such-image', `no such image: ${src.canonical}`, { fix: 'list images with "berth images"' });
  await index.put({ ref: dst.canonical, digest: rec.digest, mediaType: rec.mediaType, size: rec.size, manifestDigest: rec.manifestDigest });
  return dst.canonical;
}
