/**
 * Where base disks live and what they are called: `<images>/disks/<key>.ext4` for the default
 * size, `<key>-<bytes>.ext4` for an explicit `--disk-size`, each with `<file>.json` beside it.
 * The key is the image digest's hex; a `dir:` image (its "digest" is only its path) is keyed by
 * a fingerprint of its tree, so a changed directory gets a new base.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedImage } from '../images/image.js';

export const BASE_EXT = '.ext4';

export function disksDirOf(imagesDir: string): string {
  return join(imagesDir, 'disks');
}

export function baseFileName(key: string, sizeBytes?: number): string {
  return sizeBytes === undefined ? `${key}${BASE_EXT}` : `${key}-${sizeBytes}${BASE_EXT}`;
}

/** The key of a base file name, or undefined for anything else in the dir. */
export function keyOfBaseFile(name: string): string | undefined {
  return /^([0-9a-f]{64})(?:-\d+)?\.ext4$/.exec(name)?.[1];
}

/** Stable digest of a directory tree's names, types, modes, owners, sizes and mtimes. */
export function treeFingerprint(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      h.update(`${rel}\0unreadable ${(e as NodeJS.ErrnoException).code}\n`); // mke2fs will say more
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p, { bigint: true });
      h.update(`${rel}/${name}\0${st.mode}\0${st.uid}:${st.gid}\0${st.size}\0${st.mtimeNs}\0${st.rdev}\n`);
      if (st.isDirectory()) walk(p, `${rel}/${name}`);
    }
  };
  const st = lstatSync(root, { bigint: true });
  h.update(`/\0${st.mode}\0${st.uid}:${st.gid}\n`);
  walk(root, '');
  return h.digest('hex');
}

/** The base key of an image. */
export function imageKey(image: Pick<ResolvedImage, 'digest' | 'layers'>): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(image.digest);
  if (m) return m[1]!;
  // dir: images and anything else without a content digest.
  const h = createHash('sha256').update(image.digest);
  for (const l of image.layers) h.update(`\0${treeFingerprint(l)}`);
  return h.digest('hex');
}
