/**
 * Unpack ONE OCI image layer into an overlayfs lower directory (ADR 0010).
 *
 * Everything is written into a temp dir beside `dest` and renamed into place only when the
 * whole layer was read; any failure removes the temp dir. Every path component is lstat'ed
 * and must be a real directory (never a symlink from the layer), files are opened with
 * O_EXCL|O_NOFOLLOW, hardlinks may only point at entries this layer created.
 */
import { spawn } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import {
  chmod,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  open,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { ImageError } from '../../core/errors.js';
import { removeTree } from '../../host/probes/overlayfs.js';
import { applyLayerOwners } from './apply-owners.js';
import type { LayerMetaFile } from './layer-meta.js';
import { removeLayerDir } from './remove-layer.js';
import {
  type Compression,
  UnsafePathError,
  classifyWhiteout,
  normalizeEntryPath,
  opaqueXattr,
  xattrAllowed,
} from './paths.js';
import { TAR_END, type TarWriteEntry, tarHeader, tarPadding } from './tar-writer.js';
import { type DetectedCompression, openDecompressed } from './decompress.js';
import { type TarEntry, TarFormatError, TarTruncatedError, readTar } from './tar-reader.js';

export interface UnpackOptions {
  /** The layer blob, as a stream ... */
  tarStream?: Readable | AsyncIterable<Buffer>;
  /** ... or as a file. Exactly one of the two. */
  path?: string;
  compression: Compression;
  /** Final directory; must not exist yet. Its parent must exist. */
  dest: string;
  /** true: no chown/mknod/trusted.* xattrs; ownership goes to `<dest>.meta.json`. */
  rootless: boolean;
  /**
   * Rootless only: give the files the image's owners as mapped sub-ids (ADR 0014), by
   * running apply-owners under `berth-shim unshare`. Default true; without sub-ids the files
   * stay the caller's (said once).
   */
  mapOwners?: boolean;
  onWarning?(msg: string): void;
  /** Refuse a regular file larger than this (default 64 GiB). */
  maxFileBytes?: number;
  /** Accept xz too (rootfs tarballs; OCI layers are never xz). */
  allowXz?: boolean;
}

export interface UnpackResult {
  /** Entries materialised in dest (files, dirs, links, devices, whiteouts). */
  files: number;
  /** Bytes of regular-file data written. */
  bytes: number;
  /** Device nodes not created (rootless). */
  skippedDevices: number;
}

const DEFAULT_MAX_FILE = 64 * 1024 ** 3;
const UNSAFE_FIX = 'the layer is malformed or hostile; use an image from a trusted source';

type Kind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout';

function unsafe(msg: string, cause?: unknown): ImageError {
  return new ImageError('layer_unsafe', `refusing layer entry: ${msg}`, { fix: UNSAFE_FIX, cause });
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function run(cmd: string, args: string[], input?: (stdin: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? new ImageError('layer_tool_missing', `${cmd} not found, needed to unpack this layer`, {
              fix: cmd === 'tar' ? 'install GNU tar (it sets extended attributes)' : 'install coreutils',
            })
          : e,
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new ImageError('layer_unpack_failed', `${cmd} ${args.join(' ')} failed: ${err.trim() || `exit ${code}`}`),
        );
    });
    if (input) {
      child.stdin!.on('error', () => {}); // the close handler reports
      input(child.stdin!).then(
        () => child.stdin!.end(),
        (e) => {
          child.kill();
          reject(e);
        },
      );
    }
  });
}

async function writeAll(w: NodeJS.WritableStream, b: Buffer): Promise<void> {
  if (!w.write(b)) await new Promise<void>((r) => w.once('drain', () => r()));
}

/** The layer bytes, decompressed (gzip, zstd, none; xz only for rootfs tarballs). */
async function openLayer(opts: UnpackOptions): Promise<{ tar: AsyncIterable<Buffer>; close(): void }> {
  if ((opts.path === undefined) === (opts.tarStream === undefined)) {
    throw new ImageError('layer_bad_options', 'unpackLayer needs exactly one of path and tarStream');
  }
  const raw: Readable =
    opts.path !== undefined
      ? createReadStream(opts.path, { highWaterMark: 256 * 1024 })
      : opts.tarStream instanceof Readable
        ? opts.tarStream
        : Readable.from(opts.tarStream!, { objectMode: false });
  const allowed: DetectedCompression[] =
    opts.compression === 'auto'
      ? ['gzip', 'zstd', 'none', ...(opts.allowXz ? ['xz' as const] : [])]
      : [opts.compression];
  // An uncompressed layer media type with gzip data is common enough (old Docker) to accept.
  if (opts.compression === 'none') allowed.push('gzip');
  const opened = await openDecompressed(raw, allowed, 'layer');
  return { tar: opened.tar, close: opened.close };
}

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  xattrs: Map<string, Buffer>;
}

class Unpacker {
  readonly created = new Map<string, Kind>();
  readonly dirMeta = new Map<string, DirMeta>();
  readonly opaque = new Set<string>();
  readonly meta: LayerMetaFile = { version: 1, entries: {} };
  files = 0;
  bytes = 0;
  skippedDevices = 0;
  firstSkippedDevice = '';

  constructor(
    readonly root: string,
    readonly opts: UnpackOptions,
  ) {}

  warn(msg: string): void {
    this.opts.onWarning?.(msg);
  }

  abs(parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Make every parent of `parts` a real directory inside root; refuse symlinks and the like. */
  async parents(parts: string[]): Promise<void> {
    for (let i = 0; i < parts.length - 1; i++) {
      const rel = parts.slice(0, i + 1).join('/');
      const p = this.abs(parts.slice(0, i + 1));
      const st = await lstatOrNull(p);
      if (st?.isDirectory()) continue;
      if (st && this.created.get(rel) === 'whiteout') {
        // Deleted then recreated in this layer: a directory hiding the lower one.
        await unlink(p);
        this.opaque.add(rel);
      } else if (st) {
        throw unsafe(
          `${parts.join('/')}: parent ${rel} is a ${st.isSymbolicLink() ? 'symlink' : 'non-directory'} in the layer`,
        );
      }
      await mkdir(p, { mode: 0o755 });
      this.created.set(rel, 'dir');
    }
  }

  /** Clear the final path for a new entry (a later entry replaces an earlier one). */
  async clear(parts: string[], newIsDir: boolean): Promise<'dir-kept' | 'clear'> {
    const rel = parts.join('/');
    const p = this.abs(parts);
    const st = await lstatOrNull(p);
    if (!st) return 'clear';
    if (st.isDirectory() && newIsDir) return 'dir-kept';
    if (newIsDir && this.created.get(rel) === 'whiteout') this.opaque.add(rel);
    await rm(p, { recursive: true, force: true });
    for (const k of [...this.created.keys()]) if (k === rel || k.startsWith(`${rel}/`)) this.created.delete(k);
    for (const k of [...this.dirMeta.keys()]) if (k === rel || k.startsWith(`${rel}/`)) this.dirMeta.delete(k);
    for (const k of Object.keys(this.meta.entries))
      if (k === rel || k.startsWith(`${rel}/`)) delete this.meta.entries[k];
    return 'clear';
  }

  record(rel: string, e: TarEntry, extra: { skipped?: boolean } = {}): void {
    if (!this.opts.rootless) return;
    const x: LayerMetaFile['entries'][string] = { type: e.type, mode: e.mode, uid: e.uid, gid: e.gid };
    if (e.type === 'char' || e.type === 'block') Object.assign(x, { devmajor: e.devmajor, devminor: e.devminor });
    if (extra.skipped) x.skipped = true;
    if (e.xattrs.size > 0) x.xattrs = Object.fromEntries([...e.xattrs].map(([k, v]) => [k, v.toString('base64')]));
    this.meta.entries[rel] = x;
  }

  /** xattrs this mode can set; the rest are warned about (and kept in meta.json rootless). */
  settable(rel: string, xattrs: Map<string, Buffer>): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const [k, v] of xattrs) {
      if (xattrAllowed(k, this.opts.rootless)) out.set(k, v);
      else this.warn(`${rel}: xattr ${k} not set rootless (recorded in the .meta.json sidecar)`);
    }
    return out;
  }

  tarArgs(dir: string): string[] {
    return [
      '-x',
      '-f',
      '-',
      '-C',
      dir,
      '--xattrs',
      '--xattrs-include=*',
      '--numeric-owner',
      '-p',
      this.opts.rootless ? '--no-same-owner' : '--same-owner',
      '--warning=no-timestamp',
    ];
  }

  async entry(e: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    let parts: string[];
    let wh;
    try {
      parts = normalizeEntryPath(e.path);
      wh = classifyWhiteout(parts);
    } catch (err) {
      if (err instanceof UnsafePathError) throw unsafe(err.message, err);
      throw err;
    }
    const rel = parts.join('/');
    if (wh.kind === 'aufs-meta') {
      this.warn(`skipped AUFS metadata ${rel}`);
      return;
    }
    if (wh.kind === 'opaque') {
      await this.parents([...wh.dir, '_']);
      this.opaque.add(wh.dir.join('/'));
      return;
    }
    if (wh.kind === 'whiteout') {
      await this.parents(wh.target);
      await this.clear(wh.target, false);
      await run('mknod', [this.abs(wh.target), 'c', '0', '0']);
      this.created.set(wh.target.join('/'), 'whiteout');
      this.files++;
      return;
    }
    if (parts.length === 0) {
      if (e.type !== 'dir') throw unsafe(`the layer root is a ${e.type}`);
      this.dirMeta.set('', {
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        xattrs: this.settable('/', e.xattrs),
      });
      this.record('', e);
      return;
    }
    await this.parents(parts);
    const p = this.abs(parts);
    const root = !this.opts.rootless;
    if (e.type === 'dir') {
      if ((await this.clear(parts, true)) === 'clear') await mkdir(p, { mode: 0o700 });
      this.created.set(rel, 'dir');
      this.dirMeta.set(rel, {
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        xattrs: this.settable(rel, e.xattrs),
      });
      this.record(rel, e);
      this.files++;
      return;
    }
    await this.clear(parts, false);
    switch (e.type) {
      case 'file': {
        const max = this.opts.maxFileBytes ?? DEFAULT_MAX_FILE;
        if (e.size > max)
          throw new ImageError(
            'layer_file_too_large',
            `layer file ${rel} claims ${e.size} bytes, over the ${max}-byte limit`,
            { fix: UNSAFE_FIX },
          );
        const xattrs = this.settable(rel, e.xattrs);
        if (xattrs.size > 0) await this.fileViaGnuTar(parts, e, xattrs, body);
        else await this.file(p, e, body);
        this.bytes += e.size;
        break;
      }
      case 'hardlink': {
        let target: string[];
        try {
          target = normalizeEntryPath(e.linkpath);
        } catch (err) {
          throw unsafe(`hardlink ${rel} -> ${e.linkpath}: ${(err as Error).message}`, err);
        }
        const kind = this.created.get(target.join('/'));
        if (kind === undefined || kind === 'dir' || kind === 'whiteout') {
          throw unsafe(`hardlink ${rel} -> ${e.linkpath}: target is not a file of this layer`);
        }
        await this.parents(target); // verifies every component is still a real directory
        await link(this.abs(target), p);
        break;
      }
      case 'symlink':
        await symlink(e.linkpath, p);
        if (root) await lchown(p, e.uid, e.gid);
        await lutimes(p, e.mtime, e.mtime);
        break;
      case 'char':
      case 'block':
        if (!root) {
          // One warning per layer (unpackLayer), not one per node.
          if (this.skippedDevices++ === 0) this.firstSkippedDevice = `${rel} (${e.type} ${e.devmajor}:${e.devminor})`;
          this.record(rel, e, { skipped: true });
          return;
        }
        await run('mknod', [
          '-m',
          (e.mode & 0o7777).toString(8),
          p,
          e.type === 'char' ? 'c' : 'b',
          String(e.devmajor),
          String(e.devminor),
        ]);
        await this.finish(p, e);
        break;
      case 'fifo':
        await run('mknod', ['-m', (e.mode & 0o7777).toString(8), p, 'p']);
        await this.finish(p, e);
        break;
    }
    if (e.type !== 'file' && e.xattrs.size > 0 && e.type !== 'hardlink')
      this.warn(`${rel}: xattrs on a ${e.type} are not set`);
    this.created.set(rel, e.type === 'hardlink' ? 'hardlink' : e.type);
    this.record(rel, e);
    this.files++;
  }

  async finish(p: string, e: TarEntry): Promise<void> {
    if (!this.opts.rootless) await lchown(p, e.uid, e.gid);
    await chmod(p, e.mode); // after chown, which clears setuid/setgid
    await utimes(p, e.mtime, e.mtime);
  }

  async file(p: string, e: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      let n = 0;
      for await (const c of body) {
        n += c.length;
        await fh.write(c);
      }
      if (n !== e.size) throw new TarTruncatedError(`short data for ${e.path}`);
      if (!this.opts.rootless) await fh.chown(e.uid, e.gid);
      await fh.chmod(e.mode);
      await fh.utimes(e.mtime, e.mtime);
    } finally {
      await fh.close();
    }
  }

  /** A regular file with xattrs: GNU tar writes it whole (content, owner, mode, xattrs, mtime). */
  async fileViaGnuTar(
    parts: string[],
    e: TarEntry,
    xattrs: Map<string, Buffer>,
    body: AsyncIterable<Buffer>,
  ): Promise<void> {
    const dir = this.abs(parts.slice(0, -1));
    const name = parts[parts.length - 1]!;
    const pax: Record<string, Buffer> = {};
    for (const [k, v] of xattrs) pax[`SCHILY.xattr.${k}`] = v;
    const h: TarWriteEntry = {
      path: name,
      type: '0',
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      size: e.size,
      mtime: e.mtime,
      pax,
    };
    await run('tar', this.tarArgs(dir), async (w) => {
      await writeAll(w, tarHeader(h));
      let n = 0;
      for await (const c of body) {
        n += c.length;
        await writeAll(w, c);
      }
      if (n !== e.size) throw new TarTruncatedError(`short data for ${e.path}`);
      await writeAll(w, Buffer.concat([tarPadding(e.size), TAR_END]));
    });
    const st = await lstat(join(dir, name));
    if (!st.isFile()) throw unsafe(`${parts.join('/')} did not end up a regular file`);
    await utimes(join(dir, name), e.mtime, e.mtime);
  }

  /** Directory xattrs and opaque markers (one GNU tar run), then modes/owners/mtimes, deepest first. */
  async finishDirs(): Promise<void> {
    const implicit = (): DirMeta => ({ mode: 0o755, uid: 0, gid: 0, mtime: Date.now() / 1000, xattrs: new Map() });
    for (const rel of this.opaque) if (!this.dirMeta.has(rel)) this.dirMeta.set(rel, implicit());
    const withX: TarWriteEntry[] = [];
    for (const [rel, m] of this.dirMeta) {
      const x = new Map(m.xattrs);
      if (this.opaque.has(rel)) x.set(opaqueXattr(this.opts.rootless), Buffer.from('y'));
      if (x.size === 0) continue;
      const st = await lstat(this.abs(rel === '' ? [] : rel.split('/')));
      if (!st.isDirectory()) throw unsafe(`${rel} is no longer a directory`);
      const pax: Record<string, Buffer> = {};
      for (const [k, v] of x) pax[`SCHILY.xattr.${k}`] = v;
      withX.push({
        path: rel === '' ? './' : `${rel}/`,
        type: '5',
        mode: 0o755,
        uid: m.uid,
        gid: m.gid,
        mtime: m.mtime,
        pax,
      });
    }
    if (withX.length > 0) {
      await run('tar', this.tarArgs(this.root), async (w) => {
        for (const x of withX) await writeAll(w, tarHeader(x));
        await writeAll(w, TAR_END);
      });
    }
    const all = [
      ...new Set(
        [...this.created]
          .filter(([, k]) => k === 'dir')
          .map(([r]) => r)
          .concat([...this.dirMeta.keys()]),
      ),
    ];
    all.sort((a, b) => b.split('/').length - a.split('/').length);
    for (const rel of all) {
      const m = this.dirMeta.get(rel) ?? implicit();
      const p = this.abs(rel === '' ? [] : rel.split('/'));
      if (!this.opts.rootless) await lchown(p, m.uid, m.gid);
      await chmod(p, m.mode);
      await utimes(p, m.mtime, m.mtime);
    }
    if (!this.dirMeta.has('')) await chmod(this.root, 0o755);
  }
}

/**
 * Turn one OCI layer (tar, optionally gzip) into an overlayfs-ready directory at `dest`.
 * Root: whiteouts are 0:0 char devices, opaque dirs carry trusted.overlay.opaque=y, owners,
 * devices and all PAX xattrs are applied. Rootless (mount with `userxattr`): whiteouts are still
 * 0:0 char devices (Linux >= 5.8 lets any user mknod those), opaque dirs carry
 * user.overlay.opaque=y, devices are skipped and owners/modes/xattrs go to `<dest>.meta.json`.
 */
export async function unpackLayer(opts: UnpackOptions): Promise<UnpackResult> {
  if (!opts.rootless && process.geteuid?.() !== 0) {
    throw new ImageError('layer_not_root', 'unpacking a layer with rootless=false needs root', {
      fix: 'run as root or unpack rootless',
    });
  }
  if (await lstatOrNull(opts.dest)) {
    throw new ImageError('layer_dest_exists', `${opts.dest} already exists`, {
      fix: 'remove it, or reuse the unpacked layer',
    });
  }
  const parent = dirname(opts.dest);
  const tmp = await mkdtemp(join(parent, `.${basename(opts.dest)}.unpack-`));
  const metaPath = `${opts.dest}.meta.json`;
  const metaTmp = `${tmp}.meta.json`;
  let layer: { tar: AsyncIterable<Buffer>; close(): void } | undefined;
  try {
    layer = await openLayer(opts);
    const u = new Unpacker(tmp, opts);
    const skip = (m: string): void => u.warn(m);
    for await (const { entry, body } of readTar(layer.tar, skip)) await u.entry(entry, body);
    await u.finishDirs();
    if (u.skippedDevices > 0) {
      const more = u.skippedDevices > 1 ? ` and ${u.skippedDevices - 1} more` : '';
      u.warn(
        `skipped device node ${u.firstSkippedDevice}${more}: rootless cannot mknod (the environment gets its own /dev)`,
      );
    }
    if (opts.rootless) await writeFile(metaTmp, JSON.stringify(u.meta), { mode: 0o644 });
    if (opts.rootless && opts.mapOwners !== false) {
      await applyLayerOwners(tmp, metaTmp, skip);
    }
    if (await lstatOrNull(opts.dest))
      throw new ImageError('layer_dest_exists', `${opts.dest} appeared while unpacking`);
    await rename(tmp, opts.dest);
    if (opts.rootless) await rename(metaTmp, metaPath);
    return { files: u.files, bytes: u.bytes, skippedDevices: u.skippedDevices };
  } catch (e) {
    try {
      removeLayerDir(tmp, opts.rootless);
    } catch {
      removeTree(tmp); // best effort; the error below is the one to report
    }
    await rm(metaTmp, { force: true });
    if (e instanceof ImageError) throw e;
    if (e instanceof TarTruncatedError)
      throw new ImageError('layer_truncated', `layer archive is truncated: ${e.message}`, {
        fix: 'download the layer again',
        cause: e,
      });
    if (e instanceof TarFormatError)
      throw new ImageError('layer_format', `layer is not a valid tar archive: ${e.message}`, {
        fix: UNSAFE_FIX,
        cause: e,
      });
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageError('layer_unpack_failed', `cannot unpack layer into ${opts.dest}: ${msg}`, { cause: e });
  } finally {
    layer?.close();
  }
}
