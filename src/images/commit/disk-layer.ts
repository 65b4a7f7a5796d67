/**
 * The change layer of a VM environment: its flattened disk diffed against its base disk
 * (ext4-diff.ts), changed files copied out with debugfs, written as one gzip tar into the blob
 * store. Owners are the disk's own ids (the guest's view; no mapping is needed). ADR 0058.
 */
import { chownSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../unpack/paths.js';
import { tarHeader, tarPadding, TAR_END } from '../unpack/tar-writer.js';
import { fileChunks } from '../file-chunks.js';
import type { BlobStore } from '../store/blob-store.js';
import { DiskError } from '../../core/errors.js';
import { type Ext4Tree, type Sandbox, ROOT_INO, dumpInodes, readExt4Tree } from './ext4-tree.js';
import { type DiffOptions, type LayerChange, diffTrees } from './ext4-diff.js';
import { type Ext4Inode, decodeInode, deviceNumbers, fastSymlinkTarget } from './ext4-inode.js';
import { type LayerBlob, layerBlobFromTar } from './layer.js';

export interface DiskLayerOptions extends DiffOptions {
  /** The environment's flattened disk and its base (src/disks/flat-env-disk.ts). */
  changed: string;
  base: string;
  /** A private scratch directory (removed by the caller). */
  work: string;
  /** Who parses `changed`, the disk the guest wrote (as root: never root; ext4-tree.ts). */
  sandbox?: Sandbox;
  onWarning?: (msg: string) => void;
}

const S_IFMT = 0o170000;
const TYPE_FLAG: Record<number, string> = {
  0o100000: '0',
  0o120000: '2',
  0o020000: '3',
  0o060000: '4',
  0o040000: '5',
  0o010000: '6',
};

function* tarOfChanges(changes: LayerChange[], env: Ext4Tree, contents: string): Generator<Buffer> {
  const firstPath = new Map<number, string>();
  for (const c of changes) {
    const base = c.rel.slice(c.rel.lastIndexOf('/') + 1);
    const dir = c.rel.slice(0, c.rel.length - base.length);
    if (c.kind === 'whiteout') {
      yield tarHeader({
        path: `${dir}${WHITEOUT_PREFIX}${base}`,
        type: '0',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: 0,
      });
      continue;
    }
    if (c.kind === 'opaque') {
      yield tarHeader({ path: `${c.rel}/${OPAQUE_MARKER}`, type: '0', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 });
      continue;
    }
    const i: Ext4Inode = decodeInode(env.inodes.get(c.ino)!);
    const type = TYPE_FLAG[i.mode & S_IFMT];
    if (type === undefined) continue; // sockets cannot be archived (as tar and Docker do)
    const common = { uid: i.uid, gid: i.gid, mode: i.mode & 0o7777, mtime: i.mtime };
    if (type === '5') {
      yield tarHeader({ path: `${c.rel}/`, type, ...common });
    } else if (type === '2') {
      const linkpath = fastSymlinkTarget(i) ?? readFileSync(join(contents, String(c.ino)), 'utf8');
      yield tarHeader({ path: c.rel, type, ...common, linkpath });
    } else if (type === '0') {
      const first = i.links > 1 ? firstPath.get(c.ino) : undefined;
      if (first !== undefined) {
        yield tarHeader({ path: c.rel, type: '1', ...common, linkpath: first, size: 0 });
        continue;
      }
      firstPath.set(c.ino, c.rel);
      const file = join(contents, String(c.ino));
      const size = lstatSync(file).size;
      if (size !== i.size)
        throw new DiskError('dump-short', `debugfs copied ${size} of the ${i.size} bytes of /${c.rel}`, {
          fix: 'check the environment disk with e2fsck -n',
        });
      yield tarHeader({ path: c.rel, type, ...common, size });
      yield* fileChunks(file, size);
      yield tarPadding(size);
    } else if (type === '3' || type === '4') {
      const d = deviceNumbers(i);
      yield tarHeader({ path: c.rel, type, ...common, devmajor: d.major, devminor: d.minor });
    } else {
      yield tarHeader({ path: c.rel, type, ...common });
    }
  }
  yield TAR_END;
}

export interface DiskChanges {
  /** The tar of the changes (contents read from the scratch dir: iterate before it is removed). */
  tar: () => Generator<Buffer>;
  entries: number;
}

/** An empty file system: what `base` means when none is given (everything is added). */
const NOTHING: Ext4Tree = { dirs: new Map([[ROOT_INO, []]]), inodes: new Map(), unreadable: [] };

/**
 * Diff and copy out: the changes of `changed` against `base` as a tar (without a base: the whole
 * file system, as `berth export` of a VM environment writes it).
 */
export async function diskChangesTar(opts: Omit<DiskLayerOptions, 'base'> & { base?: string }): Promise<DiskChanges> {
  // Side by side; the guest-written one in the sandbox (as root).
  const [base, env] = await Promise.all([
    opts.base === undefined ? NOTHING : readExt4Tree(opts.base),
    readExt4Tree(opts.changed, opts.sandbox),
  ]);
  for (const odd of env.unreadable) opts.onWarning?.(`left out a name debugfs lists ambiguously: ${odd}`);
  const changes = diffTrees(base, env, opts);
  // Contents to copy: regular files (once per inode) and symlinks whose target is in a block.
  const wanted = new Set<number>();
  for (const c of changes) {
    if (c.kind !== 'entry') continue;
    const i = decodeInode(env.inodes.get(c.ino)!);
    const t = i.mode & S_IFMT;
    if (t === 0o100000 || (t === 0o120000 && fastSymlinkTarget(i) === undefined)) wanted.add(c.ino);
  }
  const contents = join(opts.work, 'contents');
  mkdirSync(contents, { mode: 0o700 });
  if (opts.sandbox) chownSync(contents, opts.sandbox.uid, opts.sandbox.gid);
  await dumpInodes(opts.changed, [...wanted], contents, opts.sandbox);
  return { tar: () => tarOfChanges(changes, env, contents), entries: changes.length };
}

/** Diff, copy out and store: the new layer blob, and how many entries it has. */
export async function layerBlobFromDisks(
  store: BlobStore,
  opts: DiskLayerOptions,
): Promise<LayerBlob & { entries: number }> {
  const changes = await diskChangesTar(opts);
  const blob = await layerBlobFromTar(store, changes.tar);
  return { ...blob, entries: changes.entries };
}
