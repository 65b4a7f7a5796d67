/** `berth pull` and `berth images`: registry images in the store. */
import type { Context } from './context.js';
import type { ResolvedImage } from '../images/image.js';
import { ImageError } from '../core/errors.js';

export async function pullInto(ctx: Context, ref: string, opts: { insecure?: string[]; onProgress?: (m: string) => void }): Promise<ResolvedImage> {
  const { parseImageRef } = await import('../images/ref.js');
  const parsed = parseImageRef(ref);
  if (parsed.kind !== 'registry') {
    throw new ImageError('not-pullable', `"${ref}" is not a registry image`, { fix: 'pull REGISTRY/REPO[:TAG|@DIGEST]; the builtin busybox needs no pull' });
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
