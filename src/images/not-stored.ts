/** The refusal of `--pull never` when an image is not stored (registry and debian: images alike). */
import { ImageError } from '../core/errors.js';

export function notStoredError(ref: string): ImageError {
  return new ImageError('not-stored', `image ${ref} is not stored and --pull never forbids fetching it`, {
    fix: `berth pull ${ref}, or drop --pull never`,
  });
}
