/**
 * A microvm environment's disk: a qcow2 overlay over the shared base. Created under a temp
 * name and renamed; a size below the base's is refused (a qcow2 cannot hide the base's end, and
 * ext4 cannot shrink online). A larger size is grown into by the guest (ADR 0015). A microvm start
 * copies a blank one instead (blank-overlay.ts).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DiskError } from '../core/errors.js';
import { randomHex } from '../core/random.js';
import { diskTool, runDiskTool } from '../host/disk-tools.js';
import type { BaseDisk } from './base-disk.js';
import { formatSize } from './disk-size.js';
import { qcow2CreateArgv } from './qcow2-cmdline.js';

export interface Qcow2OverlayOptions {
  base: Pick<BaseDisk, 'path' | 'sizeBytes'>;
  /** The overlay file to create (must not exist), e.g. `<env dir>/disk.qcow2`. */
  overlay: string;
  /** Virtual size for the guest (>= the base's); default the base's. */
  sizeBytes?: number;
  baseFormat?: 'raw' | 'qcow2';
}

/** An overlay cannot be smaller than its base. */
export function checkOverlaySize(size: number, baseBytes: number): void {
  if (size < baseBytes) {
    throw new DiskError(
      'disk-below-base',
      `--disk-size ${formatSize(size)} is below the ${formatSize(baseBytes)} base disk`,
      {
        fix: `use --disk-size ${formatSize(baseBytes)} or more, or build a base of that size (ensureBaseDisk with sizeBytes)`,
      },
    );
  }
}

export async function createQcow2Overlay(opts: Qcow2OverlayOptions): Promise<{ path: string; sizeBytes: number }> {
  const size = opts.sizeBytes ?? opts.base.sizeBytes;
  checkOverlaySize(size, opts.base.sizeBytes);
  if (existsSync(opts.overlay))
    throw new DiskError('overlay-exists', `${opts.overlay} already exists`, { fix: 'remove the environment first' });
  const tmp = join(dirname(opts.overlay), `.${basename(opts.overlay)}.tmp-${randomHex(6)}`);
  try {
    await runDiskTool(
      qcow2CreateArgv({
        qemuImg: diskTool('qemu-img'),
        base: opts.base.path,
        overlay: tmp,
        sizeBytes: size,
        ...(opts.baseFormat ? { baseFormat: opts.baseFormat } : {}),
      }),
      'qemu-img create (the overlay disk)',
    );
    renameSync(tmp, opts.overlay);
    return { path: opts.overlay, sizeBytes: size };
  } finally {
    rmSync(tmp, { force: true });
  }
}
