/**
 * chroot backend: the image's layers under a private overlayfs, pivot_root into it, the
 * host's /proc and a read-only /sys. It isolates the filesystem only (and the hostname):
 * processes, network, users and resources are shared with the host, and berth says so.
 * Its capabilities and refusals: register.ts.
 */
import type { ShimIsolation } from '../../host/shim-cmdline.js';
import { ShimDriver } from '../shim/shim-driver.js';
import { CHROOT_ISOLATION } from './chroot-cmdline.js';

export class ChrootDriver extends ShimDriver {
  readonly name = 'chroot' as const;

  protected isolation(): ShimIsolation {
    return CHROOT_ISOLATION;
  }
}
