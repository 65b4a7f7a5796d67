/** What the builtin busybox image is made of, besides the busybox binary itself. */
import type { ImageConfig } from '../image.js';

/** Bump whenever the rootfs layout or config changes: it is part of the digest. */
export const RECIPE_VERSION = 'berth-builtin-busybox/1';

export const BUSYBOX_CONFIG: ImageConfig = {
  env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  cmd: ['sh'],
  entrypoint: [],
  workdir: '/',
  user: '0:0',
};

export type BusyboxSource =
  | { kind: 'host'; path: string; sha256: string }
  | { kind: 'deb'; url: string; sha256: string; package: string; version: string };

/** The on-disk <digest>/config.json: the ImageConfig plus provenance. */
export interface BusyboxImageFile extends ImageConfig {
  recipe: string;
  digest: string;
  busyboxVersion: string;
  source: BusyboxSource;
}
