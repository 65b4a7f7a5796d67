/**
 * A microvm environment's overlay as a copy of a blank one (ADR 0071): `qemu-img create` costs a
 * process start and its fdatasyncs (100-170 ms on a 2-core host) on the path of every start; a
 * copy of a blank overlay, made once per base, format and size, costs one copy_file_range of
 * 192 KiB. A template's clones did this already (ADR 0066). The blank is used only while its
 * header names this base and size (a store moved to another path gets a new one); where no blank
 * can be written (a read-only store), qemu-img makes the overlay as before.
 */
import { closeSync, constants, copyFileSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { DiskError } from '../core/errors.js';
import { checkOverlaySize, createQcow2Overlay, type Qcow2OverlayOptions } from './qcow2-overlay.js';

/** The blank overlay of BASE at SIZE bytes beside it (`disks/prune.ts` removes it with the base). */
export function blankOverlayPath(base: string, sizeBytes: number, baseFormat: 'raw' | 'qcow2' = 'raw'): string {
  return `${base}.blank-${baseFormat}-${sizeBytes}.qcow2`;
}

export interface Qcow2Header {
  version: number;
  sizeBytes: number;
  backingFile?: string;
}

/** The fields of a qcow2 header that say what an overlay stands on (big-endian, docs/interop/qcow2.txt). Pure. */
export function parseQcow2Header(buf: Buffer): Qcow2Header | undefined {
  if (buf.length < 32 || buf.readUInt32BE(0) !== 0x514649fb) return undefined;
  const version = buf.readUInt32BE(4);
  const backingOffset = Number(buf.readBigUInt64BE(8));
  const backingLength = buf.readUInt32BE(16);
  const header: Qcow2Header = { version, sizeBytes: Number(buf.readBigUInt64BE(24)) };
  if (backingOffset === 0) return header;
  if (backingOffset + backingLength > buf.length) return undefined;
  return { ...header, backingFile: buf.subarray(backingOffset, backingOffset + backingLength).toString('utf8') };
}

/** The head of FILE (its header and backing file name sit in the first cluster), or undefined. */
function readHead(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(4096);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function blankFits(blank: string, base: string, sizeBytes: number): boolean {
  const head = readHead(blank);
  const h = head && parseQcow2Header(head);
  return h !== undefined && h.backingFile === base && h.sizeBytes === sizeBytes;
}

/** Make the blank in place of a stale one; whether a fitting blank is there afterwards (another start may have made it). */
async function makeBlank(opts: Qcow2OverlayOptions, blank: string, sizeBytes: number): Promise<boolean> {
  try {
    rmSync(blank, { force: true });
    // Under a temp name `.<blank>.tmp-*` and renamed: prune.ts removes one a killed start left.
    await createQcow2Overlay({ ...opts, overlay: blank, sizeBytes });
  } catch {
    /* a read-only store, or made meanwhile by another start */
  }
  return blankFits(blank, opts.base.path, sizeBytes);
}

/** As createQcow2Overlay (same refusals), from a copy of the blank overlay of the same base and size. */
export async function overlayFromBlank(
  opts: Qcow2OverlayOptions & { blank?: string },
): Promise<{ path: string; sizeBytes: number }> {
  const sizeBytes = opts.sizeBytes ?? opts.base.sizeBytes;
  checkOverlaySize(sizeBytes, opts.base.sizeBytes);
  if (existsSync(opts.overlay))
    throw new DiskError('overlay-exists', `${opts.overlay} already exists`, { fix: 'remove the environment first' });
  const blank = opts.blank ?? blankOverlayPath(opts.base.path, sizeBytes, opts.baseFormat);
  const ready = blankFits(blank, opts.base.path, sizeBytes) || (await makeBlank(opts, blank, sizeBytes));
  if (ready) {
    try {
      copyFileSync(blank, opts.overlay, constants.COPYFILE_EXCL);
      return { path: opts.overlay, sizeBytes };
    } catch {
      // Removed meanwhile (a prune), or the copy failed half-way: qemu-img says why, if it fails too.
      rmSync(opts.overlay, { force: true });
    }
  }
  return createQcow2Overlay(opts);
}
