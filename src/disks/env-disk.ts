/**
 * Which base and overlay size a VM environment gets for `--disk-size` (ADR 0015), and the kernel
 * argument that tells the guest init to grow the root file system online (EXT4_IOC_RESIZE_FS)
 * when the disk is bigger than the file system on it.
 *
 * - no --disk-size: the default base; the overlay has the base's size.
 * - microvm: the default base and a bigger qcow2 when SIZE >= the base's size (the guest grows
 *   the file system); a smaller SIZE gets a base of exactly that size (ext4 cannot shrink online).
 * - uml: a COW file is always the size of its base, so SIZE means a base of exactly SIZE.
 */
import type { ResolvedImage } from '../images/image.js';
import { type BaseDisk, type BaseDiskOptions, ensureBaseDisk } from './base-disk.js';
import { BLOCK_SIZE, roundUp } from './disk-size.js';

export const DISK_SIZE_KERNEL_ARG = 'berth.disk_size';

export interface DiskLayout {
  /** Build/reuse a base of exactly this size instead of the default one. */
  exactBaseBytes?: number;
  /** Virtual size of the environment's disk (qcow2 size; for uml the base's). */
  diskBytes: number;
}

/** Pure: the layout for `requested` bytes given the default base's size. */
export function diskLayout(
  backend: 'uml' | 'microvm',
  requested: number | undefined,
  defaultBaseBytes: number,
): DiskLayout {
  if (requested === undefined) return { diskBytes: defaultBaseBytes };
  const size = roundUp(requested, BLOCK_SIZE);
  if (size === defaultBaseBytes) return { diskBytes: size };
  if (backend === 'microvm' && size > defaultBaseBytes) return { diskBytes: size };
  return { exactBaseBytes: size, diskBytes: size };
}

/** `berth.disk_size=<bytes>`: the guest init grows / to this when the file system is smaller. */
export function diskSizeKernelArg(diskBytes: number): string {
  return `${DISK_SIZE_KERNEL_ARG}=${diskBytes}`;
}

/** The base an environment boots from and the size of its own disk. */
export async function baseForEnvironment(
  image: Pick<ResolvedImage, 'digest' | 'layers' | 'ref'>,
  backend: 'uml' | 'microvm',
  opts: Omit<BaseDiskOptions, 'sizeBytes'> & { diskSizeBytes?: number },
): Promise<{ base: BaseDisk; diskBytes: number }> {
  const { diskSizeBytes, ...rest } = opts;
  const def = await ensureBaseDisk(image, rest);
  const layout = diskLayout(backend, diskSizeBytes, def.sizeBytes);
  const base =
    layout.exactBaseBytes === undefined
      ? def
      : await ensureBaseDisk(image, { ...rest, sizeBytes: layout.exactBaseBytes });
  return { base, diskBytes: layout.diskBytes };
}
