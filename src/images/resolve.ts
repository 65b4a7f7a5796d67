/** Resolve an image reference to layers + config. Only the builtin busybox exists until image pulls land. */
import type { ResolvedImage } from './image.js';
import { ImageError } from '../core/errors.js';
import { ensureBuiltinBusybox } from './builtin/busybox-image.js';

const BUILTIN_BUSYBOX = new Set(['busybox', 'busybox:latest', 'builtin:busybox']);

export async function resolveImage(ref: string, imagesDir: string, onProgress?: (msg: string) => void): Promise<ResolvedImage> {
  if (BUILTIN_BUSYBOX.has(ref)) {
    const img = await ensureBuiltinBusybox(onProgress ? { imagesDir, onProgress } : { imagesDir });
    return { ...img, ref };
  }
  if (ref.trim() === '') throw new ImageError('bad-ref', 'empty image reference', { fix: 'name an image, or leave it out for the builtin busybox' });
  throw new ImageError('unknown-image', `unknown image "${ref}"`, {
    fix: 'only the builtin "busybox" image exists in this version; registry pulls are planned',
  });
}
