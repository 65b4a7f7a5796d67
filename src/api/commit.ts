/**
 * The library side of `berth commit ENV REF`: find the environment, pause it while its changes are
 * read when it is running (as Docker does), and commit (src/images/commit/). chroot and container:
 * the overlay upper dir. uml and microvm: `sync` in the guest, pause, copy the disk flat
 * (src/disks/flat-env-disk.ts), resume, diff the copy against the base disk (ADR 0058).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';
import { randomHex } from '../core/random.js';
import type { CommitOptions } from '../images/commit/index.js';

const WORK_PREFIX = 'vm-commit-';

/**
 * A private scratch dir for a VM commit (`<images>/blobs/tmp/vm-commit-PID-RANDOM`), after removing
 * those and the half-written layers (`commit-PID-*.partial`) of commits whose process is gone
 * (killed mid-commit): nothing of theirs stays behind.
 */
function commitWorkDir(imagesDir: string): string {
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
async function syncGuest(ctx: Context, id: string, name: string): Promise<void> {
  const { execIn } = await import('./lifecycle.js');
  const r = await execIn(ctx, id, ['sync'], {
    tty: false,
    interactive: false,
    env: {},
    stdio: 'pipe',
    timeoutMs: 60_000,
  });
  if (r.exitCode !== 0) {
    throw new ImageError('commit-sync', `environment ${name} is running and "sync" failed in it (exit ${r.exitCode})`, {
      fix: `stop it first (berth stop ${name}), then commit`,
    });
  }
}

export interface CommitEnvOptions {
  message?: string;
  author?: string;
  /** Pause a running environment while committing (default true, as `docker commit`). */
  pause?: boolean;
  onWarning?: (msg: string) => void;
}

export async function commitEnv(
  ctx: Context,
  envRef: string,
  imageRef: string,
  opts: CommitEnvOptions = {},
): Promise<{ ref: string; digest: string }> {
  const record = ctx.store.find(envRef);
  const { parseImageRef } = await import('../images/ref.js');
  const parsed = parseImageRef(imageRef);
  if (parsed.kind !== 'registry') {
    throw new ImageError('bad-commit-ref', `"${imageRef}" is not a registry-style reference (NAME[:TAG])`, {
      fix: 'name the new image like REPO[:TAG] or REGISTRY/REPO[:TAG]',
    });
  }
  if (parsed.digest !== undefined) {
    throw new ImageError('bad-commit-ref', `"${imageRef}" names a digest; a commit gets a new one`, {
      fix: 'give a tag, e.g. myimg:1',
    });
  }
  const vm = record.backend === 'uml' || record.backend === 'microvm';
  if (!vm && !['chroot', 'container'].includes(record.backend)) {
    throw new ImageError(
      'commit-unsupported',
      `environment ${record.name} runs on ${record.backend}, which berth cannot commit`,
      {
        fix: 'commit environments of the chroot, container, uml or microvm backend',
      },
    );
  }
  const state = ctx.store.status(record.id).state;
  // A VM's guest keeps recent writes in its page cache: ask it to write them out first (ADR 0058).
  if (vm && state === 'running') await syncGuest(ctx, record.id, record.name);
  if (vm && state === 'paused')
    opts.onWarning?.(
      `environment ${record.name} was paused before berth could flush its guest's writes: the newest may be missing from the image`,
    );
  let paused = false;
  if (state === 'running' && opts.pause !== false) {
    const { pauseEnv } = await import('./lifecycle.js');
    try {
      await pauseEnv(ctx, record.id);
      paused = true;
    } catch (e) {
      throw new ImageError(
        'commit-running',
        `environment ${record.name} is running and could not be paused: ${(e as Error).message}`,
        {
          fix: 'stop it first, or commit with --no-pause (library: pause: false; the layer may then be inconsistent)',
          cause: e,
        },
      );
    }
  }
  let work: string | undefined;
  try {
    const { commitEnvironment } = await import('../images/commit/index.js');
    const { rootlessIdMaps } = await import('../host/id-maps.js');
    const maps = record.rootless ? rootlessIdMaps() : undefined;
    let disk: CommitOptions['disk'];
    if (vm) {
      const { flattenEnvDisk } = await import('../disks/flat-env-disk.js');
      work = commitWorkDir(ctx.paths.images);
      // As root, the disk the guest wrote is parsed as the environment's unprivileged identity.
      const { umlHostUser } = await import('../host/uml-host-user.js');
      const sandbox = umlHostUser(record.id, process.getuid?.() ?? 0);
      const flat = await flattenEnvDisk(
        record.backend as 'uml' | 'microvm',
        ctx.store.dirOf(record.id),
        join(work, 'disk.raw'),
        sandbox,
      );
      if (paused) {
        // The disk is copied: the guest may run on while the copy is read.
        const { resumeEnv } = await import('./lifecycle.js');
        await resumeEnv(ctx, record.id);
        paused = false;
      }
      // Never started (uml): the "changed" disk is the base itself, berth's own.
      const guestWritten = flat.changed !== flat.base;
      disk = { changed: flat.changed, base: flat.base, work, ...(sandbox && guestWritten ? { sandbox } : {}) };
    }
    return await commitEnvironment({
      imagesDir: ctx.paths.images,
      ...(disk ? { disk } : { envUpperDir: join(ctx.store.dirOf(record.id), 'upper') }),
      base: record.image,
      ref: parsed,
      rootless: record.rootless,
      bindTargets: record.spec.mounts.map((m) => m.target),
      // What the environment ran becomes the image's ENTRYPOINT and CMD, as in Docker.
      command: { entrypoint: record.command.entrypoint, cmd: record.command.cmd },
      // So do its -e variables (Docker's commit writes the container's Config.Env).
      env: record.spec.env,
      ...(maps ? { idMaps: { uid: maps.uid, gid: maps.gid } } : {}),
      ...(opts.message !== undefined ? { message: opts.message } : {}),
      ...(opts.author !== undefined ? { author: opts.author } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
    if (paused) {
      const { resumeEnv } = await import('./lifecycle.js');
      await resumeEnv(ctx, record.id);
    }
  }
}
