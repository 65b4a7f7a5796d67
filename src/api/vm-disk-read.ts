/**
 * A uml or microvm environment's disk made readable on the host, for `commit` and `diff` (ADR
 * 0058): `sync` in a running guest (its page cache holds recent writes), pause it while the disk
 * is copied flat (src/disks/flat-env-disk.ts), resume it. The copy lives in a private scratch dir
 * under the image store that the caller removes; one left by a killed process is removed by the
 * next reader.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';
import { randomHex } from '../core/random.js';
import type { EnvRecord } from '../core/env-store.js';
import type { HostUser } from '../host/uml-host-user.js';

const WORK_PREFIX = 'vm-commit-';

export interface ReadableVmDisk {
  /** The environment's file system, flattened (the base itself when never started). */
  changed: string;
  /** The base disk it was made over. */
  base: string;
  /** The scratch dir holding the copy: the caller removes it. */
  work: string;
  /** As root: who parses the guest-written copy (never root; ext4-tree.ts). */
  sandbox?: HostUser;
}

/**
 * A private scratch dir (`<images>/blobs/tmp/vm-commit-PID-RANDOM`), after removing those and the
 * half-written layers (`commit-PID-*.partial`) of processes that are gone (killed mid-commit).
 */
export function vmWorkDir(imagesDir: string): string {
  const tmp = join(imagesDir, 'blobs', 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(tmp)) {
    const pid = Number(/^(?:vm-)?commit-(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && !processAlive(pid)) rmSync(join(tmp, name), { recursive: true, force: true });
  }
  const dir = join(tmp, `${WORK_PREFIX}${process.pid}-${randomHex(6)}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `sync` in the guest, so that what the environment wrote is on its disk, not only in its page cache. */
async function syncGuest(ctx: Context, id: string, name: string, verb: string): Promise<void> {
  const { execIn } = await import('./lifecycle.js');
  const r = await execIn(ctx, id, ['sync'], {
    tty: false,
    interactive: false,
    env: {},
    stdio: 'pipe',
    timeoutMs: 60_000,
  });
  if (r.exitCode !== 0) {
    throw new ImageError(
      `${verb}-sync`,
      `environment ${name} is running and "sync" failed in it (exit ${r.exitCode})`,
      {
        fix: `stop it first (berth stop ${name}), then ${verb} again`,
      },
    );
  }
}

/** Flush, pause, copy flat, resume. `pause: false` copies a running guest's disk as it is. */
export async function readableVmDisk(
  ctx: Context,
  record: EnvRecord,
  opts: { verb: string; pause?: boolean; onWarning?: (msg: string) => void },
): Promise<ReadableVmDisk> {
  const state = ctx.store.status(record.id).state;
  if (state === 'running') await syncGuest(ctx, record.id, record.name, opts.verb);
  if (state === 'paused')
    opts.onWarning?.(
      `environment ${record.name} was paused before berth could flush its guest's writes: the newest may be missing`,
    );
  const { pauseEnv, resumeEnv } = await import('./lifecycle.js');
  let paused = false;
  if (state === 'running' && opts.pause !== false) {
    try {
      await pauseEnv(ctx, record.id);
      paused = true;
    } catch (e) {
      throw new ImageError(
        `${opts.verb}-running`,
        `environment ${record.name} is running and could not be paused: ${(e as Error).message}`,
        {
          fix: `stop it first, or ${opts.verb} with --no-pause (library: pause: false; the result may then be inconsistent)`,
          cause: e,
        },
      );
    }
  }
  const work = vmWorkDir(ctx.paths.images);
  try {
    const { flattenEnvDisk } = await import('../disks/flat-env-disk.js');
    const { umlHostUser } = await import('../host/uml-host-user.js');
    const sandbox = umlHostUser(record.id, process.getuid?.() ?? 0);
    const flat = await flattenEnvDisk(
      record.backend as 'uml' | 'microvm',
      ctx.store.dirOf(record.id),
      join(work, 'disk.raw'),
      sandbox,
    );
    // Never started (uml): the "changed" disk is the base itself, berth's own.
    const guestWritten = flat.changed !== flat.base;
    return { changed: flat.changed, base: flat.base, work, ...(sandbox && guestWritten ? { sandbox } : {}) };
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  } finally {
    // The disk is copied: the guest runs on while the copy is read.
    if (paused) await resumeEnv(ctx, record.id);
  }
}
