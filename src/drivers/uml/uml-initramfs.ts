/**
 * The uml initramfs: the guest init as /init and no modules (Debian's UML kernel has ext4, ubd and
 * hostfs built in), built by src/kernels/initramfs.ts and cached per kernel and init.
 */
import { HostError } from '../../core/errors.js';
import { findNative, notBuilt, packageRoot } from '../../host/native-paths.js';
import type { Kernel } from '../../kernels/kernel.js';
import { buildInitramfs } from '../../kernels/initramfs.js';

export function guestInitPath(): string {
  const p = findNative('berth-guest-init');
  if (!p) {
    const { message, fix } = notBuilt('berth-guest-init', packageRoot());
    throw new HostError('no-guest-init', message, { fix });
  }
  return p;
}

export async function umlInitramfs(kernel: Kernel): Promise<string> {
  return (await buildInitramfs({ kernel, init: guestInitPath(), modules: [] })).path;
}
