/** The builtin image's digest: over the recipe version and the busybox binary (build path only). */
import { createHash } from 'node:crypto';
import { RECIPE_VERSION } from './recipe.js';

/** Hex sha256 over the recipe version and the busybox bytes. */
export function busyboxImageDigest(busybox: Buffer): string {
  return createHash('sha256').update(RECIPE_VERSION).update('\0').update(busybox).digest('hex');
}
