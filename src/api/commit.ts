/**
 * The library side of `berth commit ENV REF`: find the environment, pause it while its changes are
 * read when it is running (as Docker does), and commit (src/images/commit/). chroot and container:
 * the overlay upper dir. uml and microvm: `sync` in the guest, pause, copy the disk flat
 * (src/disks/flat-env-disk.ts), resume, diff the copy against the base disk (ADR 0058).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';
import type { CommitOptions } from '../images/commit/index.js';

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
  let work: string | undefined;
  let paused = false;
  try {
    const { commitEnvironment } = await import('../images/commit/index.js');
    const { rootlessIdMaps } = await import('../host/id-maps.js');
    const maps = record.rootless ? rootlessIdMaps() : undefined;
    let disk: CommitOptions['disk'];
    if (vm) {
      // Flushed, paused while copied, resumed: the commit reads the copy (ADR 0058).
      const { readableVmDisk } = await import('./vm-disk-read.js');
      const flat = await readableVmDisk(ctx, record, {
        verb: 'commit',
        ...(opts.pause !== undefined ? { pause: opts.pause } : {}),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      });
      work = flat.work;
      disk = { changed: flat.changed, base: flat.base, work, ...(flat.sandbox ? { sandbox: flat.sandbox } : {}) };
    } else if (state === 'running' && opts.pause !== false) {
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
