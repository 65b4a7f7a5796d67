/** Where the builtin busybox image lives and how a built one reads back (shared by the hot check and the cold build). */
import { join, resolve } from 'node:path';
import type { ImageConfig, ResolvedImage } from '../image.js';
import type { DebFetchOptions } from '../debian/fetch-deb.js';
import type { BusyboxImageFile } from './recipe.js';

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
