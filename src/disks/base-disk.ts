/**
 * `ensureBaseDisk(image)`: the image as one ext4 file, built once per image (and size), shared
 * read-only (0444) by every VM environment of that image (ADR 0015).
 *
 * Build: under a per-base lock (concurrent builders do the work once), merge the layers in a
 * private mount namespace (build-cmdline.ts), measure them, refuse a `sizeBytes` below what they
 * need, mke2fs -d into a temp file beside the final name, apply rootless owner records
 * (meta-script.ts) with debugfs, check with e2fsck -n, chmod 0444, rename. Any failure removes the
 * temp file and the staging dir: nothing half-built is ever found under the final name.
 */
import type { TransferHook } from '../core/transfer.js';
import { watchFileGrowth } from '../core/file-growth.js';
// Synchronous calls only: node:fs/promises costs every VM start 2 ms to load, for a build that is rare.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ResolvedImage } from '../images/image.js';
import type { LayerMetaFile } from '../images/unpack/layer-meta.js';
import { DiskError } from '../core/errors.js';
import { acquireLock } from '../core/lock.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { randomHex } from '../core/random.js';
import { diskTool, runDiskTool } from '../host/disk-tools.js';
import { rootlessIdMaps } from '../host/id-maps.js';
import { shimPath } from '../host/native-paths.js';
import { removeTree } from '../host/probes/overlayfs.js';
import { baseFileName, imageKey } from './base-names.js';
import { BLOCK_SIZE, type Content, defaultBytes, formatSize, inodeCount, minimumBytes, roundUp } from './disk-size.js';
import {
  STAGE_EMPTY,
  STAGE_MERGED,
  e2fsckCheckArgv,
  inMergedViewArgv,
  layerLinkName,
  measureCommand,
  mke2fsArgv,
  parseMeasure,
  type Wrap,
} from './build-cmdline.js';
import { metaScript } from './meta-script.js';

export interface BaseDiskOptions {
  /** `<images>/disks` (disksDirOf). */
  disksDir: string;
  /** The caller is not root: merge and mke2fs inside `berth-shim unshare` with the caller's sub-id maps. */
  rootless: boolean;
  /** Exact virtual size (rounded up to 4 KiB); default: the image's content plus headroom, >= 1 GiB. */
  sizeBytes?: number;
  onProgress?(msg: string): void;
  /** Bytes mke2fs has written into the new disk, of the files' total. */
  onTransfer?: TransferHook;
  onWarning?(msg: string): void;
}

export interface BaseDisk {
  /** The ext4 file (0444; never written after it is built). */
  path: string;
  /** Its virtual size. */
  sizeBytes: number;
  /** What the image's files need: `--disk-size` may not go below this. */
  minimumBytes: number;
  /** The image digest it was built from. */
  imageDigest: string;
  key: string;
}

interface BaseRecord {
  version: 1;
  imageDigest: string;
  sizeBytes: number;
  minimumBytes: number;
  content: Content;
  builtAt: string;
}

function readRecord(path: string): BaseRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as BaseRecord;
    return r.version === 1 && Number.isSafeInteger(r.sizeBytes) ? r : undefined;
  } catch {
    return undefined;
  }
}

function found(path: string, key: string): BaseDisk | undefined {
  if (!existsSync(path)) return undefined;
  const r = readRecord(path);
  if (!r) return undefined;
  return { path, sizeBytes: r.sizeBytes, minimumBytes: r.minimumBytes, imageDigest: r.imageDigest, key };
}

/** The base for `image` if already built (no lock, no work). */
export function findBaseDisk(
  image: Pick<ResolvedImage, 'digest' | 'layers'>,
  opts: Pick<BaseDiskOptions, 'disksDir' | 'sizeBytes'>,
): BaseDisk | undefined {
  const key = imageKey(image);
  const def = found(join(opts.disksDir, baseFileName(key)), key);
  if (opts.sizeBytes === undefined) return def;
  const size = roundUp(opts.sizeBytes, BLOCK_SIZE);
  if (def && def.sizeBytes === size) return def;
  return found(join(opts.disksDir, baseFileName(key, size)), key);
}

function loadMeta(layer: string): LayerMetaFile | undefined {
  try {
    const m = JSON.parse(readFileSync(`${layer}.meta.json`, 'utf8')) as LayerMetaFile;
    return m.version === 1 && typeof m.entries === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Does a layer above `layer` hide `rel` (an entry at the path, or a non-directory at a parent)? */
function hiddenIn(layers: string[]): (layer: number, rel: string) => boolean {
  return (layer, rel) => {
    const parts = rel.split('/');
    for (let j = 0; j < layer; j++) {
      for (let k = 1; k <= parts.length; k++) {
        try {
          const st = lstatSync(join(layers[j]!, ...parts.slice(0, k)));
          if (k === parts.length || !st.isDirectory()) return true;
        } catch {
          /* absent there */
        }
      }
    }
    return false;
  };
}

function wrapFor(rootless: boolean): Wrap {
  const w: Wrap = { rootless, unshare: diskTool('unshare'), sh: diskTool('sh') };
  if (rootless) {
    const maps = rootlessIdMaps();
    Object.assign(w, { shim: shimPath(), uidMaps: maps.uid, gidMaps: maps.gid });
  }
  return w;
}

async function applyMeta(
  image: Pick<ResolvedImage, 'layers'>,
  file: string,
  stage: string,
  onWarning?: (m: string) => void,
): Promise<void> {
  const metas = image.layers.map(loadMeta);
  if (metas.every((m) => m === undefined)) return;
  const script = metaScript(metas, hiddenIn(image.layers), stage);
  for (const p of script.unnamed) onWarning?.(`${p}: owner record not applied (debugfs cannot name the path)`);
  if (script.commands.length === 0) return;
  for (const [name, value] of script.xattrFiles) writeFileSync(join(stage, name), value, { mode: 0o600 });
  const cmdFile = join(stage, 'owners.debugfs');
  writeFileSync(cmdFile, `${script.commands.join('\n')}\n`, { mode: 0o600 });
  await runDiskTool([diskTool('debugfs'), '-w', '-f', cmdFile, file], "debugfs (applying the layers' recorded owners)");
}

/** Staging dirs and temp files of an earlier build of `key` that died (we hold its lock now). */
function removeDeadBuilds(disksDir: string, key: string): void {
  for (const name of readdirSync(disksDir)) {
    if (name.startsWith(`.stage-${key.slice(0, 12)}-`) || (name.startsWith(`.${key}`) && name.includes('.ext4.tmp-')))
      removeTree(join(disksDir, name));
  }
}

async function build(
  image: Pick<ResolvedImage, 'digest' | 'layers' | 'ref'>,
  key: string,
  opts: BaseDiskOptions,
): Promise<BaseDisk> {
  if (image.layers.length === 0)
    throw new DiskError('image-no-layers', `image ${image.ref} has no layers`, {
      fix: 'pull or build the image again',
    });
  removeDeadBuilds(opts.disksDir, key);
  const wrap = wrapFor(opts.rootless);
  const stage = mkdtempSync(join(opts.disksDir, `.stage-${key.slice(0, 12)}-`));
  let tmp: string | undefined;
  try {
    image.layers.forEach((l, i) => {
      symlinkSync(l, join(stage, layerLinkName(i)));
    });
    mkdirSync(join(stage, STAGE_EMPTY));
    mkdirSync(join(stage, STAGE_MERGED));
    const inView = (cmd: string[]) => inMergedViewArgv(wrap, stage, image.layers.length, cmd);
    const measured = await runDiskTool(
      inView(measureCommand(wrap.sh, diskTool('du'))),
      `merging the layers of ${image.ref}`,
    );
    const content = parseMeasure(measured.stdout);
    const minimum = minimumBytes(content);
    const requested = opts.sizeBytes === undefined ? undefined : roundUp(opts.sizeBytes, BLOCK_SIZE);
    if (requested !== undefined && requested < minimum) {
      throw new DiskError(
        'disk-too-small',
        `--disk-size ${formatSize(requested)} is below the ${formatSize(minimum)} the files of ${image.ref} need`,
        { fix: `use --disk-size ${formatSize(minimum)} or more` },
      );
    }
    const sizeBytes = requested ?? defaultBytes(content);
    const path = join(opts.disksDir, baseFileName(key, requested));
    tmp = join(opts.disksDir, `.${baseFileName(key, requested)}.tmp-${randomHex(6)}`);
    opts.onProgress?.(`building the ${formatSize(sizeBytes)} disk of ${image.ref}`);
    const file = tmp;
    await watchFileGrowth(opts.onTransfer, file, `disk of ${image.ref}`, content.bytes, () =>
      runDiskTool(
        inView(
          mke2fsArgv({
            mke2fs: diskTool('mke2fs'),
            source: STAGE_MERGED,
            file,
            sizeBytes,
            inodes: inodeCount(sizeBytes, content.inodes),
          }),
        ),
        `mke2fs (the disk of ${image.ref})`,
      ),
    );
    await applyMeta(image, tmp, stage, opts.onWarning);
    await runDiskTool(e2fsckCheckArgv(diskTool('e2fsck'), tmp), `checking the new disk of ${image.ref} (e2fsck -n)`);
    chmodSync(tmp, 0o444);
    const record: BaseRecord = {
      version: 1,
      imageDigest: image.digest,
      sizeBytes,
      minimumBytes: minimum,
      content,
      builtAt: new Date().toISOString(),
    };
    writeJsonAtomic(`${path}.json`, record, 0o644);
    renameSync(tmp, path);
    tmp = undefined;
    return { path, sizeBytes, minimumBytes: minimum, imageDigest: image.digest, key };
  } finally {
    if (tmp) rmSync(tmp, { force: true });
    removeTree(stage);
  }
}

/**
 * The ext4 base disk of `image` (built now if missing). Without `sizeBytes` the default-size base;
 * with it, a base of exactly that size (the default one when it happens to be that size).
 */
export async function ensureBaseDisk(
  image: Pick<ResolvedImage, 'digest' | 'layers' | 'ref'>,
  opts: BaseDiskOptions,
): Promise<BaseDisk> {
  const ready = findBaseDisk(image, opts);
  if (ready) return ready;
  mkdirSync(opts.disksDir, { recursive: true, mode: 0o755 });
  const key = imageKey(image);
  const lock = await acquireLock(join(opts.disksDir, `${key}.lock`), `the disk of ${image.ref}`, 30 * 60_000);
  try {
    return findBaseDisk(image, opts) ?? (await build(image, key, opts));
  } finally {
    lock.release();
  }
}
