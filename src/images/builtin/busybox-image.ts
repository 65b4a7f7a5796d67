/**
 * The builtin default image: a busybox rootfs. This file is the hot path of `berth run`:
 * when the image exists it costs one small JSON read and one stat. Everything that builds
 * or fetches (got, tar, execa, gpgv) lives behind a dynamic import of ./build.js.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedImage } from '../image.js';
import type { DebFetchOptions } from '../debian/fetch-deb.js';
import { RECIPE_VERSION, type BusyboxImageFile } from './recipe.js';
import { busyboxStoreDir, toResolved, type EnsureBusyboxOptions } from './busybox-store.js';

export type { DebFetchOptions };

function looksValid(f: Partial<BusyboxImageFile> | null): f is BusyboxImageFile {
  return (
    !!f &&
    f.recipe === RECIPE_VERSION &&
    typeof f.digest === 'string' &&
    /^sha256:[0-9a-f]{64}$/.test(f.digest) &&
    typeof f.env === 'object' &&
    f.env !== null &&
    Array.isArray(f.cmd) &&
    Array.isArray(f.entrypoint) &&
    typeof f.workdir === 'string' &&
    typeof f.user === 'string'
  );
}

/** The already-built image, or undefined. */
export async function readBuiltBusybox(imagesDir: string): Promise<ResolvedImage | undefined> {
  const store = busyboxStoreDir(imagesDir);
  let file: Partial<BusyboxImageFile> | null;
  try {
    file = JSON.parse(readFileSync(join(store, 'current', 'config.json'), 'utf8')) as Partial<BusyboxImageFile> | null;
  } catch {
    return undefined;
  }
  if (!looksValid(file)) return undefined;
  const image = toResolved(store, file);
  try {
    return statSync(image.layers[0] as string).isDirectory() ? image : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The builtin busybox image, built on first use from the host's static busybox or, failing
 * that, from Debian's busybox-static .deb fetched and verified through the host's apt sources.
 */
export async function ensureBuiltinBusybox(opts: EnsureBusyboxOptions): Promise<ResolvedImage> {
  const built = await readBuiltBusybox(opts.imagesDir);
  if (built) return built;
  const { buildBuiltinBusybox } = await import('./build.js');
  return buildBuiltinBusybox(opts);
}
