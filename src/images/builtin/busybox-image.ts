/**
 * The builtin default image: a busybox rootfs. This file is the hot path of `berth run`:
 * when the image exists it costs one small JSON read and one stat. Everything that builds
 * or fetches (got, tar, execa, gpgv) lives behind a dynamic import of ./build.js.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImageConfig, ResolvedImage } from '../image.js';
import type { DebFetchOptions } from '../debian/fetch-deb.js';
import { RECIPE_VERSION, type BusyboxImageFile } from './recipe.js';

export type { DebFetchOptions };

export interface EnsureBusyboxOptions {
  imagesDir: string;
  /** How to reach the Debian archive when the host has no static busybox. */
  fetch?: DebFetchOptions;
  onProgress?: (msg: string) => void;
  /** Where to look for a host busybox (default: the usual paths); [] forces the Debian fetch. */
  hostCandidates?: string[];
}

export const BUSYBOX_REF = 'busybox';

/** <imagesDir>/builtin/busybox: holds <hex>/{rootfs,config.json} and the `current` pointer. */
export function busyboxStoreDir(imagesDir: string): string {
  return join(resolve(imagesDir), 'builtin', 'busybox');
}

export function toResolved(storeDir: string, file: BusyboxImageFile): ResolvedImage {
  const config: ImageConfig = {
    env: { ...file.env },
    cmd: [...file.cmd],
    entrypoint: [...file.entrypoint],
    workdir: file.workdir,
    user: file.user,
  };
  const hex = file.digest.slice('sha256:'.length);
  return { ref: BUSYBOX_REF, digest: file.digest, layers: [join(storeDir, hex, 'rootfs')], config };
}

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
