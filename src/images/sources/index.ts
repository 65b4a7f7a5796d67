/**
 * Image sources other than registries and the builtin busybox: `tar:PATH|URL` rootfs tarballs
 * and `oci-archive:` / `docker-archive:` image archives, all imported into the store as OCI
 * images (docs/adr/0012-image-sources.md). Cold: loaded only when such a reference is used.
 */
import type { TransferHook } from '../../core/transfer.js';
import { resolve as resolvePath } from 'node:path';
import type { ResolvedImage } from '../image.js';
import type { ImageRef } from '../ref.js';
import { ImageError } from '../../core/errors.js';
import { importArchive } from './archive-import.js';
import { resolveRecorded } from './stored-image.js';
import { ensureTarImage, tarCanonical } from './tar-image.js';

export { importArchive, type ArchiveFormat, type ImportedImage } from './archive-import.js';
export { saveToFile, writeArchive, type SaveFormat } from './archive-save.js';
export { ensureTarImage, normalizeSha256 } from './tar-image.js';
export { resolveManifest, resolveRecorded } from './stored-image.js';
export { mergedTar } from './merged-tree.js';

export interface SourceOptions {
  imagesDir: string;
  rootless: boolean;
  sha256?: string;
  refresh?: boolean;
  onProgress?: (msg: string) => void;
  /** Bytes of a tar:URL download. */
  onTransfer?: TransferHook;
  onWarning?: (msg: string) => void;
}

/** The key an image reference has in the image index (local paths made absolute). */
export function canonicalOf(ref: ImageRef): string {
  switch (ref.kind) {
    case 'tar':
      return tarCanonical(ref);
    case 'oci-archive':
      return `oci-archive:${resolvePath(ref.path)}${ref.tag !== undefined ? `:${ref.tag}` : ''}`;
    case 'docker-archive':
      return `docker-archive:${resolvePath(ref.path)}`;
    default:
      return ref.canonical;
  }
}

export async function resolveSource(ref: ImageRef, opts: SourceOptions): Promise<ResolvedImage> {
  const common = {
    imagesDir: opts.imagesDir,
    rootless: opts.rootless,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  if (opts.sha256 !== undefined && ref.kind !== 'tar') {
    throw new ImageError('sha256-not-tar', '--sha256 applies to tar: images only', {
      fix: 'registry and archive images are verified by their own digests',
    });
  }
  if (ref.kind === 'tar') {
    return ensureTarImage(ref, {
      ...common,
      ...(opts.sha256 !== undefined ? { sha256: opts.sha256 } : {}),
      ...(opts.refresh ? { refresh: true } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
  }
  if (ref.kind === 'oci-archive' || ref.kind === 'docker-archive') {
    const canonical = canonicalOf(ref);
    if (!opts.refresh) {
      const have = await resolveRecorded(canonical, common);
      if (have) return have;
    }
    opts.onProgress?.(`importing ${canonical}`);
    await importArchive(ref.path, {
      imagesDir: opts.imagesDir,
      format: ref.kind,
      as: canonical,
      ...(ref.kind === 'oci-archive' && ref.tag !== undefined ? { tag: ref.tag } : {}),
    });
    const img = await resolveRecorded(canonical, common);
    if (!img) throw new ImageError('not-recorded', `${canonical} was imported but not recorded`, { fix: 'try again' });
    return img;
  }
  throw new ImageError('unsupported-ref', `${ref.kind} images are not supported yet ("${ref.canonical}")`, {
    fix: 'use a registry image, tar:, oci-archive:, docker-archive:, dir: or the builtin busybox',
  });
}
