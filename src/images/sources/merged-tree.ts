/**
 * An environment's root filesystem as overlayfs shows it, computed without mounting: the
 * upper dir over the image's layer dirs (topmost first). A whiteout (character device 0:0)
 * hides what is below; an opaque directory (overlay.opaque=y) hides the lower directories'
 * content. The result streams as one tar (`berth export`). Owners: as root the real ones;
 * rootless, host ids map back to ids inside, and a layer's recorded owners (its .meta.json
 * sidecar) win for the files it unpacked.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { findOpaqueDirs, type IdMapper } from '../commit/layer.js';
import type { LayerMetaFile } from '../unpack/index.js';
import { TAR_END, tarHeader, tarPadding } from '../unpack/tar-writer.js';
import { fileChunks, major, minor } from '../file-chunks.js';

export interface MergedOptions {
  /** Topmost first: the upper dir, then the image's layers. */
  sources: string[];
  rootless: boolean;
  ids: IdMapper;
  /** Entries (relative paths) left out: placeholders for the shim's mounts. */
  skip?: (rel: string, st: Stats) => boolean;
  /** Read a file the caller may not open (rootless: owned by a sub-id, no read bit for others). */
  readUnreadable?: (absPath: string, size: number) => Buffer;
}

interface Source {
  root: string;
  opaque: Set<string>;
  meta: LayerMetaFile['entries'] | undefined;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOr(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function allDirs(root: string): string[] {
  const out: string[] = [''];
  const visit = (rel: string) => {
    for (const d of readdirSync(rel === '' ? root : join(root, rel), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const r = rel === '' ? d.name : `${rel}/${d.name}`;
      out.push(r);
      visit(r);
    }
  };
  visit('');
  return out;
}

function loadSource(root: string, rootless: boolean): Source {
  const opaque = findOpaqueDirs(root, allDirs(root), rootless) ?? new Set<string>();
  let meta: LayerMetaFile['entries'] | undefined;
  if (existsSync(`${root}.meta.json`)) {
    try {
      meta = (JSON.parse(readFileSync(`${root}.meta.json`, 'utf8')) as LayerMetaFile).entries;
    } catch {
      /* no recorded owners: the mapped ones are used */
    }
  }
  return { root, opaque, meta };
}

/** The merged tree as tar chunks. */
export function* mergedTar(opts: MergedOptions): Generator<Buffer> {
  const sources = opts.sources.filter((s) => existsSync(s)).map((s) => loadSource(s, opts.rootless));
  const links = new Map<string, string>();
  function* emit(rel: string, src: Source, st: Stats): Generator<Buffer> {
    const m = src.meta?.[rel];
    const common = {
      uid: m ? m.uid : opts.ids(st.uid, 'uid'),
      gid: m ? m.gid : opts.ids(st.gid, 'gid'),
      mode: m ? m.mode & 0o7777 : st.mode & 0o7777,
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    const path = join(src.root, rel);
    if (st.isDirectory()) yield tarHeader({ path: `${rel}/`, type: '5', ...common });
    else if (st.isSymbolicLink()) yield tarHeader({ path: rel, type: '2', ...common, linkpath: readlinkSync(path) });
    else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        yield tarHeader({ path: rel, type: '1', ...common, linkpath: first, size: 0 });
        return;
      }
      if (st.nlink > 1) links.set(key, rel);
      yield tarHeader({ path: rel, type: '0', ...common, size: st.size });
      yield* fileChunks(path, st.size, opts.readUnreadable);
      yield tarPadding(st.size);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield tarHeader({
        path: rel,
        type: st.isCharacterDevice() ? '3' : '4',
        ...common,
        devmajor: major(st.rdev),
        devminor: minor(st.rdev),
      });
    } else if (st.isFIFO()) yield tarHeader({ path: rel, type: '6', ...common });
  }
  /** `layers`: the sources whose directory `rel` contributes, topmost first. */
  function* dir(rel: string, layers: Source[]): Generator<Buffer> {
    const seen = new Map<string, { src: Source; st: Stats; below: Source[] }>();
    const hidden = new Set<string>();
    for (let i = 0; i < layers.length; i++) {
      const src = layers[i]!;
      for (const name of readdirSync(rel === '' ? src.root : join(src.root, rel)).sort()) {
        if (seen.has(name) || hidden.has(name)) continue;
        const r = rel === '' ? name : `${rel}/${name}`;
        const st = lstatSync(join(src.root, r));
        if (isWhiteout(st)) {
          hidden.add(name);
          continue;
        }
        const below: Source[] = [];
        if (st.isDirectory() && !src.opaque.has(r)) {
          for (const lower of layers.slice(i + 1)) {
            const ls = lstatOr(join(lower.root, r));
            if (!ls?.isDirectory()) break; // a whiteout, a file or nothing ends the merge
            below.push(lower);
            if (lower.opaque.has(r)) break;
          }
        }
        seen.set(name, { src, st, below });
      }
    }
    for (const name of [...seen.keys()].sort()) {
      const { src, st, below } = seen.get(name)!;
      const r = rel === '' ? name : `${rel}/${name}`;
      if (opts.skip?.(r, st)) continue;
      yield* emit(r, src, st);
      if (st.isDirectory()) yield* dir(r, [src, ...below]);
    }
  }
  // The root directory: opaque roots end the merge as anywhere else.
  const roots: Source[] = [];
  for (const s of sources) {
    roots.push(s);
    if (s.opaque.has('')) break;
  }
  if (roots.length > 0) yield* dir('', roots);
  yield TAR_END;
}
