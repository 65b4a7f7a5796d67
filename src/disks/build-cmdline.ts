/**
 * Pure argv builders for building an ext4 base disk (ADR 0015), unit-tested.
 *
 * The image's layers are merged by the kernel, exactly as the container backends see them: a
 * read-only overlayfs of the layer dirs (whiteouts and opaque dirs honoured) mounted in a private
 * mount namespace, rootless inside `berth-shim unshare` (the caller's sub-id maps, so the files
 * carry the image's owners) with `userxattr`. mke2fs -d then copies the merged tree into the file.
 *
 * The staging dir holds `l0..lN` (symlinks to the layers, topmost first, short so hundreds of
 * layers fit in one mount option), `empty` (the bottom layer: overlayfs needs two lower dirs)
 * and `merged` (the mount point). The mount dies with the namespace; nothing is left mounted.
 */
import { unshareArgv, type IdMap } from '../host/shim-cmdline.js';
import { BLOCK_SIZE } from './disk-size.js';

export const STAGE_EMPTY = 'empty';
export const STAGE_MERGED = 'merged';
export const layerLinkName = (i: number): string => `l${i}`;

/** `ro,lowerdir=l0:l1:...:empty[,userxattr]`, relative to the staging dir. */
export function overlayOptions(layerCount: number, rootless: boolean): string {
  if (layerCount < 1) throw new RangeError('an image has at least one layer');
  const lower = [...Array.from({ length: layerCount }, (_, i) => layerLinkName(i)), STAGE_EMPTY].join(':');
  return `ro,lowerdir=${lower}${rootless ? ',userxattr' : ''}`;
}

/** `sh -c` body: enter the staging dir, mount the merged view, then exec the rest of the argv. */
export const MOUNT_THEN_EXEC = 'set -e; cd "$1"; mount -t overlay berth-disk -o "$2" merged; shift 2; exec "$@"';

export interface Wrap {
  rootless: boolean;
  /** Tools, absolute. */
  unshare: string;
  sh: string;
  /** Rootless only. */
  shim?: string;
  uidMaps?: IdMap[];
  gidMaps?: IdMap[];
}

/** Run `command` with the merged view of the layers mounted at `<stage>/merged` (cwd = stage). */
export function inMergedViewArgv(w: Wrap, stage: string, layerCount: number, command: string[]): string[] {
  const inner = [
    w.unshare,
    '--mount',
    '--propagation',
    'private',
    w.sh,
    '-c',
    MOUNT_THEN_EXEC,
    'sh',
    stage,
    overlayOptions(layerCount, w.rootless),
    ...command,
  ];
  if (!w.rootless) return inner;
  if (!w.shim || !w.uidMaps || !w.gidMaps) throw new RangeError('rootless needs the shim and id maps');
  return unshareArgv(w.shim, w.uidMaps, w.gidMaps, inner);
}

/** Prints "<bytes>\tmerged\n<inodes>\tmerged\n": what the merged tree holds. */
export function measureCommand(sh: string, du: string): string[] {
  return [sh, '-c', `"${du}" -s -B1 merged && "${du}" -s --inodes merged`];
}

/** Parse measureCommand's output. */
export function parseMeasure(out: string): { bytes: number; inodes: number } {
  const nums = out
    .trim()
    .split('\n')
    .map((l) => Number(l.split('\t')[0]));
  if (nums.length !== 2 || nums.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw new Error(`unexpected du output: ${JSON.stringify(out)}`);
  return { bytes: nums[0]!, inodes: nums[1]! };
}

export interface Mke2fsArgs {
  mke2fs: string;
  /** The directory to copy (relative to the cwd, e.g. "merged"). */
  source: string;
  /** The new file (must not exist: mke2fs creates it sparse). */
  file: string;
  sizeBytes: number;
  inodes: number;
  label?: string;
}

/**
 * mke2fs for a sparse file: 4 KiB blocks, an explicit inode count (the image's files fit),
 * `assume_storage_prezeroed` (a new sparse file reads as zeros: no zeroing writes at build time,
 * and the inode tables are marked initialised, so the guest never lazily zeroes them into its overlay).
 */
export function mke2fsArgv(a: Mke2fsArgs): string[] {
  if (a.sizeBytes % BLOCK_SIZE !== 0) throw new RangeError(`size ${a.sizeBytes} is not a multiple of ${BLOCK_SIZE}`);
  return [
    a.mke2fs,
    '-q',
    '-t',
    'ext4',
    '-b',
    String(BLOCK_SIZE),
    '-I',
    '256',
    '-N',
    String(a.inodes),
    '-E',
    'assume_storage_prezeroed=1',
    '-L',
    a.label ?? 'berth-root',
    '-d',
    a.source,
    '-F',
    a.file,
    `${a.sizeBytes / 1024}k`,
  ];
}

/** Read-only full check of a finished base (exit 0 = clean). */
export function e2fsckCheckArgv(e2fsck: string, file: string): string[] {
  return [e2fsck, '-f', '-n', file];
}
