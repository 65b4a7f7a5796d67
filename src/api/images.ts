/** `berth pull` and `berth images`: registry and debian: images in the store. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';
import type { TransferHook } from '../core/transfer.js';

export interface PullOptions {
  insecure?: string[];
  /** tar:URL|PATH only: the SHA-256 the tarball must have. */
  sha256?: string;
  onProgress?: (m: string) => void;
  /** Bytes of each download (registry blobs, a tarball) or build (a debian: tarball). */
  onTransfer?: TransferHook;
  onWarning?: (m: string) => void;
}

/** What `berth pull` stored: the canonical reference and the platform manifest's digest. */
export interface PulledSummary {
  ref: string;
  digest: string;
}

export async function pullInto(ctx: Context, ref: string, opts: PullOptions): Promise<PulledSummary> {
  const { parseImageRef } = await import('../images/ref.js');
  const parsed = parseImageRef(ref);
  if (parsed.kind === 'debian') {
    // `berth pull debian:SUITE` (re)builds it from the mirror.
    const { ensureDebianImage } = await import('../images/debian/debian-image.js');
    const img = await ensureDebianImage(parsed, {
      imagesDir: ctx.paths.images,
      rootless: ctx.rootless,
      refresh: true,
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
    return { ref: img.ref, digest: img.digest };
  }
  if (parsed.kind === 'tar' || parsed.kind === 'oci-archive' || parsed.kind === 'docker-archive') {
    const { resolveSource } = await import('../images/sources/index.js');
    const img = await resolveSource(parsed, {
      imagesDir: ctx.paths.images,
      rootless: ctx.rootless,
      refresh: true,
      ...(opts.sha256 !== undefined ? { sha256: opts.sha256 } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
    return { ref: img.ref, digest: img.digest };
  }
  if (parsed.kind !== 'registry') {
    throw new ImageError('not-pullable', `"${ref}" is not a registry image, tarball or archive`, {
      fix: 'pull REGISTRY/REPO[:TAG|@DIGEST], tar:URL, oci-archive:PATH or docker-archive:PATH; the builtin busybox needs no pull',
    });
  }
  if (opts.sha256 !== undefined)
    throw new ImageError('sha256-not-tar', '--sha256 applies to tar: images only', {
      fix: 'registry images are verified by their own digests; pin one with NAME@sha256:DIGEST',
    });
  // Download and verify only: layers are unpacked on first use (resolveManifest), as the
  // store does for every image; `skopeo copy` to a dir does the same work (docs/benchmarks.md).
  const [{ pullImage }, { insecureList }] = await Promise.all([
    import('../images/registry/pull.js'),
    import('../images/oci-image.js'),
  ]);
  const pulled = await pullImage(parsed, {
    imagesDir: ctx.paths.images,
    insecure: insecureList(parsed.registry, opts.insecure),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
  });
  return { ref: pulled.ref, digest: pulled.manifestDigest };
}

/** tag and rmi of the builtin busybox: it is built in, not a stored image, so say so by its name. */
function refuseBuiltin(key: string, verb: 'tag' | 'remove'): void {
  if (key !== 'builtin:busybox') return;
  throw new ImageError(
    'builtin-image',
    `busybox is berth's builtin image, not a stored one: it cannot be ${verb === 'tag' ? 'tagged' : 'removed'}`,
    {
      fix:
        verb === 'tag'
          ? 'commit an environment of it (berth run --name b busybox true; berth commit b NAME:TAG), or pull a registry busybox'
          : 'nothing to remove: it takes no space in the image store',
    },
  );
}

/** The index key of a reference the user wrote (archive and tarball paths made absolute). */
async function canonical_(ref: string): Promise<string> {
  const [{ parseImageRef }, { canonicalOf }] = await Promise.all([
    import('../images/ref.js'),
    import('../images/sources/index.js'),
  ]);
  return canonicalOf(parseImageRef(ref));
}

/**
 * `berth load`: import an oci-archive or docker-archive file, or one read from a stream (stdin, as
 * `docker load` reads it); returns the names recorded.
 */
export async function loadImages(
  ctx: Context,
  input: string | NodeJS.ReadableStream,
): Promise<{ format: string; images: { names: string[]; digest: string }[] }> {
  const { importArchive } = await import('../images/sources/index.js');
  if (typeof input === 'string') return importArchive(input, { imagesDir: ctx.paths.images });
  const [{ BlobStore }, { createWriteStream, rmSync }, { pipeline }, { randomBytes }] = await Promise.all([
    import('../images/store/blob-store.js'),
    import('node:fs'),
    import('node:stream/promises'),
    import('node:crypto'),
  ]);
  const store = new BlobStore(ctx.paths.images);
  store.ensureDirs();
  // The archive is read twice (members, then manifests): spool it next to the blobs it becomes.
  const spool = join(store.tmpDir, `load-${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  try {
    let bytes = 0;
    await pipeline(
      input,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const c of source) {
          bytes += c.length;
          yield c;
        }
      },
      createWriteStream(spool, { mode: 0o600 }),
    );
    if (bytes === 0)
      throw new ImageError('empty-input', 'berth load read nothing from its input', {
        fix: 'give an archive: berth load -i FILE, or berth load < FILE',
      });
    return await importArchive(spool, { imagesDir: ctx.paths.images, fromStream: true });
  } finally {
    rmSync(spool, { force: true });
  }
}

/** `berth save`: a stored image as an archive file, or onto a stream (stdout). */
export async function saveImage(
  ctx: Context,
  ref: string,
  out: string | NodeJS.WritableStream,
  format: 'oci-archive' | 'docker-archive',
): Promise<void> {
  const [{ ImageIndex }, { BlobStore }, src] = await Promise.all([
    import('../images/store/image-index.js'),
    import('../images/store/blob-store.js'),
    import('../images/sources/index.js'),
  ]);
  const key = await canonical_(ref);
  const rec = new ImageIndex(ctx.paths.images).get(key);
  const store = new BlobStore(ctx.paths.images);
  if (!rec || !store.has(rec.manifestDigest)) {
    throw new ImageError('no-such-image', `no such image in the store: ${key}`, {
      fix:
        key === 'builtin:busybox'
          ? 'the builtin busybox is not stored as an OCI image: commit an environment of it, then save that'
          : 'list images with "berth images"; pull or load it first',
    });
  }
  const source = { name: key, manifestDigest: rec.manifestDigest };
  if (typeof out === 'string') await src.saveToFile(out, store, source, format);
  else await src.writeArchive(out as import('node:stream').Writable, store, source, format);
}

export interface ImageSummary {
  ref: string;
  /** The builtin busybox's is '' until its first use builds it. */
  digest: string;
  /** When it was pulled (the builtin busybox: built; '' until then). */
  pulledAt: string;
  /** The builtin busybox: always listed first, as it runs by name; it cannot be tagged or removed. */
  builtin?: true;
}

/** The builtin busybox (as `run busybox` finds it, without building it), then every stored image. */
export async function listImages(ctx: Context): Promise<ImageSummary[]> {
  const [{ ImageIndex }, { readBuiltBusybox }, { busyboxStoreDir, BUSYBOX_REF }] = await Promise.all([
    import('../images/store/image-index.js'),
    import('../images/builtin/busybox-image.js'),
    import('../images/builtin/busybox-store.js'),
  ]);
  const built = await readBuiltBusybox(ctx.paths.images);
  const builtAt = built ? statSync(join(busyboxStoreDir(ctx.paths.images), 'current', 'config.json')).mtime : undefined;
  const busybox: ImageSummary = {
    ref: BUSYBOX_REF,
    digest: built?.digest ?? '',
    pulledAt: builtAt?.toISOString() ?? '',
    builtin: true,
  };
  const stored = new ImageIndex(ctx.paths.images)
    .list()
    .map((r) => ({ ref: r.ref, digest: r.digest, pulledAt: r.pulledAt }));
  return [busybox, ...stored];
}

/** Remove a pulled image's record (refused while an environment uses it, unless force), then prune. */
export async function removeImage(ctx: Context, ref: string, force: boolean): Promise<void> {
  const canonical = await canonical_(ref);
  refuseBuiltin(canonical, 'remove');
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
export async function pruneImages(
  ctx: Context,
): Promise<{ blobs: number; layers: number; disks: number; partials: number; freedBytes: number }> {
  const [{ garbageCollect }, { BlobStore }, { removeLayer }] = await Promise.all([
    import('../images/store/gc.js'),
    import('../images/store/blob-store.js'),
    import('../images/unpack/remove-layer.js'),
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
  return {
    blobs: gc.removed.length,
    layers,
    disks,
    partials: gc.removedTemp,
    freedBytes: gc.freedBytes + gc.freedTempBytes,
  };
}

/** Give a stored image another name (no data copied). */
export async function tagImage(ctx: Context, source: string, target: string): Promise<string> {
  const [{ parseImageRef }, { ImageIndex }] = await Promise.all([
    import('../images/ref.js'),
    import('../images/store/image-index.js'),
  ]);
  const src = { canonical: await canonical_(source) };
  refuseBuiltin(src.canonical, 'tag');
  const dst = parseImageRef(target);
  if (dst.kind !== 'registry' || dst.digest) {
    throw new ImageError('bad-tag', `cannot tag as "${target}"`, {
      fix: 'use NAME[:TAG] or REGISTRY/REPO[:TAG], without a digest',
    });
  }
  const index = new ImageIndex(ctx.paths.images);
  const rec = index.get(src.canonical);
  if (!rec)
    throw new ImageError('no-such-image', `no such image: ${src.canonical}`, {
      fix: 'list images with "berth images"',
    });
  await index.put({
    ref: dst.canonical,
    digest: rec.digest,
    mediaType: rec.mediaType,
    size: rec.size,
    manifestDigest: rec.manifestDigest,
  });
  return dst.canonical;
}
