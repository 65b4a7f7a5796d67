/**
 * A directory tree as one gzip-compressed OCI layer blob, streamed into the blob store.
 *
 * Used for two trees:
 *  - an environment's overlay upper dir (the changes): overlayfs whiteouts (character device
 *    0:0) become `.wh.NAME` entries, opaque directories (xattr {trusted,user}.overlay.opaque=y)
 *    get a `.wh..wh..opq` entry, and the empty placeholders the shim creates for its bind mounts
 *    and for /proc, /sys, /dev are left out;
 *  - a base image that is not in the blob store (the builtin busybox, a dir: image).
 *
 * Ownership: as root, real uids/gids. Rootless, host ids are mapped back to the ids inside the
 * environment (the caller's own files become 0:0, sub-ids become 1..N, anything else 0).
 * Extended attributes (file capabilities, ACLs) are not carried: see docs/adr/0011-commit.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createWriteStream, lstatSync, readdirSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarHeader, tarPadding, TAR_END } from '../unpack/tar-writer.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, opaqueXattr } from '../unpack/paths.js';
import type { BlobStore } from '../store/blob-store.js';
import { fileChunks, major, minor } from '../file-chunks.js';

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Host id -> id inside the image (rootless); identity as root. */
export type IdMapper = (hostId: number, kind: 'uid' | 'gid') => number;

export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

export function makeIdMapper(rootless: boolean, maps?: { uid: IdRange[]; gid: IdRange[] }): IdMapper {
  if (!rootless) return (id) => id;
  const m = maps ?? {
    uid: [{ inside: 0, outside: process.getuid?.() ?? 0, count: 1 }],
    gid: [{ inside: 0, outside: process.getgid?.() ?? 0, count: 1 }],
  };
  return (id, kind) => {
    for (const r of m[kind]) if (id >= r.outside && id < r.outside + r.count) return r.inside + (id - r.outside);
    return 0;
  };
}

export interface LayerFromDirOptions {
  /** Tree is an overlay upper dir: translate whiteouts/opaque dirs, drop shim placeholders. */
  upper: boolean;
  rootless: boolean;
  ids: IdMapper;
  /** Extra bind-mount targets (absolute, in the environment) whose empty placeholders are dropped. */
  bindTargets?: string[];
  /** Notes for the caller (e.g. opaque detection unavailable). */
  onWarning?: (msg: string) => void;
}

export interface LayerBlob {
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

/** Files the shim bind-mounts over (created empty in the upper dir when the image lacks them). */
const PLACEHOLDER_FILES = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];
/** Mount points the shim mounts over (created in the upper dir when the image lacks them). */
const PLACEHOLDER_DIRS = ['proc', 'sys', 'dev'];

function toRel(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function haveTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/**
 * The set of directories (relative paths) that carry an overlay opaque xattr with value "y".
 * Node has no getxattr: `getfattr` (attr package) when installed, else python3's os.getxattr,
 * else undefined (detection skipped; the caller warns).
 */
export function findOpaqueDirs(root: string, dirs: string[], rootless: boolean): Set<string> | undefined {
  const name = opaqueXattr(rootless);
  if (dirs.length === 0) return new Set();
  const abs = dirs.map((d) => (d === '' ? root : join(root, d)));
  const out = new Set<string>();
  if (haveTool('getfattr')) {
    // One call for all dirs: "# file: PATH" then NAME="VALUE" for the dirs that have it.
    const r = spawnSync('getfattr', ['--absolute-names', '-h', '-e', 'text', '-n', name, ...abs], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.error) return undefined;
    let current: string | undefined;
    const hits = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('# file: ')) current = line.slice('# file: '.length);
      else if (current !== undefined && line === `${name}="y"`) hits.add(current);
    }
    for (let i = 0; i < abs.length; i++) if (hits.has(abs[i]!)) out.add(dirs[i]!);
    return out;
  }
  const script = [
    'import os, sys',
    'name = sys.argv[1]',
    'data = sys.stdin.buffer.read().split(b"\\0")',
    'for p in data:',
    '    if not p: continue',
    '    try:',
    '        v = os.getxattr(p, name, follow_symlinks=False)',
    '    except OSError:',
    '        continue',
    '    if v == b"y": sys.stdout.buffer.write(p + b"\\0")',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, name], {
    input: Buffer.from(`${abs.join('\0')}\0`),
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  if (r.error || r.status !== 0) return undefined;
  const hits = new Set(r.stdout.toString('utf8').split('\0').filter(Boolean));
  for (let i = 0; i < abs.length; i++) if (hits.has(abs[i]!)) out.add(dirs[i]!);
  return out;
}

interface Entry {
  rel: string;
  st: Stats;
}

/** Depth-first listing, parents before children, names sorted (deterministic archives). */
function walk(root: string): Entry[] {
  const out: Entry[] = [];
  const visit = (rel: string) => {
    const names = readdirSync(rel === '' ? root : join(root, rel)).sort();
    for (const n of names) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const st = lstatSync(join(root, r));
      out.push({ rel: r, st });
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** The tar stream of `root` (without compression). */
export function* tarOfDir(root: string, opts: LayerFromDirOptions): Generator<Buffer> {
  let entries = walk(root);
  const skip = new Set<string>();
  if (opts.upper) {
    const placeholderFiles = new Set([...PLACEHOLDER_FILES, ...(opts.bindTargets ?? []).map(toRel)]);
    for (const e of entries) {
      if (placeholderFiles.has(e.rel) && e.st.isFile() && e.st.size === 0) skip.add(e.rel);
      if (PLACEHOLDER_DIRS.includes(e.rel) && e.st.isDirectory() && readdirSync(join(root, e.rel)).length === 0)
        skip.add(e.rel);
      if (placeholderFiles.has(e.rel) && e.st.isDirectory() && readdirSync(join(root, e.rel)).length === 0)
        skip.add(e.rel);
    }
    entries = entries.filter((e) => !skip.has(e.rel));
  }
  let opaque = new Set<string>();
  if (opts.upper) {
    const dirs = entries.filter((e) => e.st.isDirectory()).map((e) => e.rel);
    const found = findOpaqueDirs(root, dirs, opts.rootless);
    if (found === undefined) {
      opts.onWarning?.(
        'neither getfattr nor python3 is available: opaque directories (a directory removed and re-created) are not detected; install the attr package',
      );
    } else opaque = found;
  }
  const links = new Map<string, string>();
  for (const { rel, st } of entries) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const dir = rel.slice(0, rel.length - base.length);
    const common = {
      uid: opts.ids(st.uid, 'uid'),
      gid: opts.ids(st.gid, 'gid'),
      mode: st.mode & 0o7777,
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    const path = join(root, rel);
    if (opts.upper && isWhiteout(st)) {
      yield tarHeader({ path: `${dir}${WHITEOUT_PREFIX}${base}`, type: '0', ...common, mode: 0o644, size: 0 });
      continue;
    }
    if (st.isDirectory()) {
      yield tarHeader({ path: `${rel}/`, type: '5', ...common });
      if (opaque.has(rel))
        yield tarHeader({ path: `${rel}/${OPAQUE_MARKER}`, type: '0', ...common, mode: 0o644, size: 0 });
    } else if (st.isSymbolicLink()) {
      yield tarHeader({ path: rel, type: '2', ...common, linkpath: readlinkSync(path) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        yield tarHeader({ path: rel, type: '1', ...common, linkpath: first, size: 0 });
        continue;
      }
      if (st.nlink > 1) links.set(key, rel);
      yield tarHeader({ path: rel, type: '0', ...common, size: st.size });
      yield* fileChunks(path, st.size);
      yield tarPadding(st.size);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield tarHeader({
        path: rel,
        type: st.isCharacterDevice() ? '3' : '4',
        ...common,
        devmajor: major(st.rdev),
        devminor: minor(st.rdev),
      });
    } else if (st.isFIFO()) {
      yield tarHeader({ path: rel, type: '6', ...common });
    }
    // Sockets cannot be archived (as tar and Docker do): skipped.
  }
  yield TAR_END;
}

/** Tar + gzip `root` into the blob store; returns blob digest, diff_id and size. */
export function layerBlobFromDir(store: BlobStore, root: string, opts: LayerFromDirOptions): Promise<LayerBlob> {
  return layerBlobFromTar(store, () => tarOfDir(root, opts));
}

/** Gzip a tar stream into the blob store (temp file, renamed into place); digest, diff_id and size. */
export async function layerBlobFromTar(store: BlobStore, tar: () => Iterable<Buffer>): Promise<LayerBlob> {
  store.ensureDirs();
  const tmp = join(store.tmpDir, `commit-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
  const raw = createHash('sha256');
  const gz = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      async function* () {
        for (const chunk of tar()) {
          raw.update(chunk);
          yield chunk;
        }
      },
      createGzip({ level: 6 }),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          gz.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(tmp, { mode: 0o600 }),
    );
    const digest = `sha256:${gz.digest('hex')}`;
    if (store.has(digest)) rmSync(tmp, { force: true });
    else await store.commit(digest, tmp, 'committed layer', digest);
    return { digest, diffId: `sha256:${raw.digest('hex')}`, size, mediaType: LAYER_MEDIA_TYPE };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
