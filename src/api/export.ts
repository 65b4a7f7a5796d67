/**
 * `berth export ENV`: the environment's merged root filesystem as one tar (file or stream).
 * chroot and container: the overlay's upper dir over the image's layers. uml and microvm: the
 * disk, flushed and copied flat (paused while copied, vm-disk-read.ts), every file read out of it
 * with debugfs as a commit reads its changes (ADR 0058), owners as the guest sees them.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';
import type { EnvRecord } from '../core/env-store.js';

const PLACEHOLDERS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

export async function exportEnv(ctx: Context, envRef: string, out: string | Writable): Promise<void> {
  const record = ctx.store.find(envRef);
  if (record.backend === 'uml' || record.backend === 'microvm') return exportVm(ctx, record, out);
  const [{ mergedTar }, { makeIdMapper }, { rootlessIdMaps }, { shimPath }, { unshareArgv }, { spawnSync }] =
    await Promise.all([
      import('../images/sources/merged-tree.js'),
      import('../images/commit/layer.js'),
      import('../host/id-maps.js'),
      import('../host/native-paths.js'),
      import('../host/shim-cmdline.js'),
      import('node:child_process'),
    ]);
  const maps = record.rootless ? rootlessIdMaps() : undefined;
  const binds = new Set([...PLACEHOLDERS, ...record.spec.mounts.map((m) => m.target.replace(/^\/+/, ''))]);
  const tar = Readable.from(
    mergedTar({
      sources: [join(ctx.store.dirOf(record.id), 'upper'), ...record.image.layers],
      rootless: record.rootless,
      ids: makeIdMapper(record.rootless, maps ? { uid: maps.uid, gid: maps.gid } : undefined),
      skip: (rel, st) => binds.has(rel) && ((st.isFile() && st.size === 0) || st.isDirectory()),
      // Rootless: a file owned by a sub-id without a read bit for others is read as root of a
      // user namespace with the caller's sub-id maps (berth-shim unshare), as Podman would.
      ...(maps
        ? {
            readUnreadable: (path: string, size: number) => {
              const [cmd, ...args] = unshareArgv(shimPath(), maps.uid, maps.gid, ['cat', '--', path]);
              const r = spawnSync(cmd!, args, { maxBuffer: size + 1024, stdio: ['ignore', 'pipe', 'pipe'] });
              if (r.status !== 0)
                throw Object.assign(
                  new Error(`cannot read ${path} even in the user namespace: ${String(r.stderr).trim()}`),
                  { code: 'EACCES' },
                );
              return r.stdout;
            },
          }
        : {}),
    }),
    { objectMode: false },
  );
  return writeTar(record.name, tar, out);
}

/** A VM environment's whole file system, from a flat copy of its disk. */
async function exportVm(ctx: Context, record: EnvRecord, out: string | Writable): Promise<void> {
  const { readableVmDisk } = await import('./vm-disk-read.js');
  const { diskChangesTar } = await import('../images/commit/disk-layer.js');
  const disk = await readableVmDisk(ctx, record, { verb: 'export' });
  try {
    const all = await diskChangesTar({
      changed: disk.changed,
      work: disk.work,
      mountTargets: record.spec.mounts.map((m) => m.target),
      ...(disk.sandbox ? { sandbox: disk.sandbox } : {}),
    });
    await writeTar(record.name, Readable.from(all.tar(), { objectMode: false }), out);
  } finally {
    rmSync(disk.work, { recursive: true, force: true });
  }
}

/** TAR to OUT: a stream (left open), or a file written whole or not at all. */
async function writeTar(name: string, tar: Readable, out: string | Writable): Promise<void> {
  const fail = (e: unknown): ImageError => {
    const err = e as NodeJS.ErrnoException;
    return new ImageError('export-failed', `exporting ${name} failed: ${err.message}`, {
      fix:
        err.code === 'EACCES'
          ? 'a file is unreadable to you (owned by a sub-id inside the environment); export it as root or make it readable inside'
          : 'check free space and the output path',
      cause: e,
    });
  };
  if (typeof out !== 'string') {
    try {
      await pipeline(tar, out, { end: false });
    } catch (e) {
      throw fail(e);
    }
    return;
  }
  const tmp = join(dirname(out), `.${basename(out)}.berth-${randomBytes(6).toString('hex')}`);
  try {
    await pipeline(tar, createWriteStream(tmp, { mode: 0o644 }));
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof ImageError ? e : fail(e);
  }
}
