/**
 * `tar:PATH|URL`: a root filesystem tarball (gzip, xz, zstd or plain, told by its magic bytes)
 * as a one-layer image. The tarball is stored as a blob under its own digest (an xz tarball is
 * stored decompressed: OCI has no xz layers), its diff_id is computed, and the image is recorded
 * under `tar:<absolute path or URL>`. The same content is always the same image (cached by digest).
 */
import type { TransferHook } from '../../core/transfer.js';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ResolvedImage } from '../image.js';
import type { TarRef } from '../ref.js';
import { ImageError } from '../../core/errors.js';
import { BlobStore, DigestMismatchError, hashFile } from '../store/blob-store.js';
import { ImageIndex } from '../store/image-index.js';
import { openDecompressed, type DetectedCompression } from '../unpack/decompress.js';
import { downloadToStore } from './http-download.js';
import { recordImage, resolveManifest, rootfsConfig, type LayerDesc } from './stored-image.js';

export interface TarImageOptions {
  imagesDir: string;
  rootless: boolean;
  /** 64 hex digits (or sha256:HEX) the tarball must hash to. */
  sha256?: string;
  /** Download again even when recorded (`berth pull`). */
  refresh?: boolean;
  onProgress?: (msg: string) => void;
  onTransfer?: TransferHook;
  /** Told the digest of a download that had no --sha256 to check. */
  onWarning?: (msg: string) => void;
}

const MEDIA: Record<Exclude<DetectedCompression, 'xz'>, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export function normalizeSha256(s: string): string {
  const hex = s.startsWith('sha256:') ? s.slice(7) : s;
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new ImageError('bad-sha256', `--sha256 "${s}" is not a SHA-256 digest`, {
      fix: 'give 64 hex digits, e.g. from sha256sum FILE',
    });
  }
  return `sha256:${hex.toLowerCase()}`;
}

/** The key of a tar: image in the index: local paths made absolute. */
export function tarCanonical(ref: TarRef): string {
  return ref.isUrl ? `tar:${ref.source}` : `tar:${resolvePath(ref.source)}`;
}

/** Put a local file into the store under its digest (copy through a temp file, verified). */
async function storeLocal(path: string, store: BlobStore, expected?: string): Promise<string> {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ImageError('no-such-file', `tarball ${path} does not exist`, {
      fix: 'give the path of a root filesystem tarball',
    });
  }
  if (!st.isFile())
    throw new ImageError('not-a-file', `tarball ${path} is not a regular file`, {
      fix: 'give the path of a root filesystem tarball',
    });
  const { digest } = await hashFile(path);
  if (expected && digest !== expected) throw new DigestMismatchError(expected, digest, `tarball ${path}`);
  if (store.has(digest)) return digest;
  store.ensureDirs();
  const tmp = join(store.tmpDir, `tar-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
  try {
    await pipeline(createReadStream(path), createWriteStream(tmp, { mode: 0o600 }));
    await store.commit(digest, tmp, `tarball ${path}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  return digest;
}

/** The layer for a stored tarball blob: its descriptor and diff_id (xz: stored again, decompressed). */
async function layerOf(digest: string, store: BlobStore): Promise<{ layer: LayerDesc; diffId: string }> {
  const opened = await openDecompressed(
    createReadStream(store.path(digest), { highWaterMark: 256 * 1024 }),
    ['gzip', 'zstd', 'xz', 'none'],
    'tarball',
  );
  const h = createHash('sha256');
  const keep = opened.detected === 'xz';
  const tmp = join(store.tmpDir, `unxz-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
  let size = 0;
  try {
    await pipeline(
      opened.tar,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          h.update(c);
          size += c.length;
          if (keep) yield c;
        }
      },
      keep ? createWriteStream(tmp, { mode: 0o600 }) : createWriteStream('/dev/null'),
    );
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof ImageError) throw e;
    throw new ImageError('bad-tarball', `the tarball ${digest} cannot be decompressed: ${(e as Error).message}`, {
      fix: 'check that it is a gzip, xz, zstd or plain tar file',
      cause: e,
    });
  } finally {
    opened.close();
  }
  const diffId = `sha256:${h.digest('hex')}`;
  if (!keep)
    return {
      layer: {
        mediaType: MEDIA[opened.detected as Exclude<DetectedCompression, 'xz'>],
        digest,
        size: statSync(store.path(digest)).size,
      },
      diffId,
    };
  if (store.has(diffId)) rmSync(tmp, { force: true });
  else await store.commit(diffId, tmp, 'decompressed xz tarball', diffId);
  return { layer: { mediaType: MEDIA.none, digest: diffId, size }, diffId };
}

export async function ensureTarImage(ref: TarRef, opts: TarImageOptions): Promise<ResolvedImage> {
  const canonical = tarCanonical(ref);
  const store = new BlobStore(opts.imagesDir);
  const expected = opts.sha256 !== undefined ? normalizeSha256(opts.sha256) : undefined;
  const unpackOpts = {
    imagesDir: opts.imagesDir,
    rootless: opts.rootless,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const rec = new ImageIndex(opts.imagesDir).get(canonical);
  if (ref.isUrl && rec && !opts.refresh && !expected && store.has(rec.manifestDigest)) {
    return resolveManifest(canonical, rec.manifestDigest, unpackOpts);
  }
  let digest: string;
  const before = new Set<string>();
  if (expected && store.has(expected)) before.add(expected);
  if (ref.isUrl) {
    if (expected && store.has(expected)) {
      digest = expected;
    } else {
      opts.onProgress?.(`downloading ${ref.source}`);
      const d = await downloadToStore(ref.source, store, {
        ...(expected ? { expected } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
      });
      digest = d.digest;
      if (!expected)
        opts.onWarning?.(
          `${ref.source} was not checked against a digest (no --sha256); it has ${digest}: pin it with --sha256 ${digest.slice(7)}`,
        );
    }
  } else {
    digest = await storeLocal(resolvePath(ref.source), store, expected);
  }
  // The same content as recorded (gzip, zstd, plain: the tarball is the layer): nothing to redo.
  if (rec && store.has(rec.manifestDigest)) {
    const m = store.readJson<{ layers?: { digest: string }[] }>(rec.manifestDigest);
    if (m.layers?.length === 1 && m.layers[0]!.digest === digest)
      return resolveManifest(canonical, rec.manifestDigest, unpackOpts);
  }
  opts.onProgress?.(`tarball ${digest.slice(0, 19)}: computing its layer`);
  let computed;
  try {
    computed = await layerOf(digest, store);
  } catch (e) {
    // Not a usable tarball: drop the blob unless an image already used it (nothing half-cached).
    const used = new ImageIndex(opts.imagesDir).list().some((r) => {
      try {
        return (
          store
            .readJson<{ layers?: { digest: string }[] }>(r.manifestDigest)
            .layers?.some((l) => l.digest === digest) ?? false
        );
      } catch {
        return false;
      }
    });
    if (!used && !before.has(digest)) rmSync(store.path(digest), { force: true });
    throw e;
  }
  const { layer, diffId } = computed;
  const manifestDigest = await recordImage(
    opts.imagesDir,
    [canonical],
    [layer],
    rootfsConfig([diffId], `berth: ${canonical}`),
  );
  return resolveManifest(canonical, manifestDigest, unpackOpts);
}
