/**
 * chroot's shim argv: the shared builder with chroot's isolation, which is the filesystem only:
 * the host's /proc, a read-only bind of the host's /sys, no other namespaces, capabilities untouched.
 */
import {
  shimRunArgv,
  shimExecArgv,
  type ShimIsolation,
  type ShimRunInput,
  type ShimExecInput,
} from '../../host/shim-cmdline.js';

export { rmtreeArgv, type IdMap } from '../../host/shim-cmdline.js';

export const CHROOT_ISOLATION: ShimIsolation = { proc: 'bind', sys: 'bind-ro' };

export type ChrootRunInput = Omit<ShimRunInput, 'isolation'>;
export type ChrootExecInput = Omit<ShimExecInput, 'isolation'>;

export function chrootRunArgv(i: ChrootRunInput): string[] {
  return shimRunArgv({ ...i, isolation: CHROOT_ISOLATION });
}

export function chrootExecArgv(i: ChrootExecInput): string[] {
  return shimExecArgv(i);
}
