/**
 * The library side of `berth commit ENV REF`: find the environment, pause it while its upper dir
 * is read when it is running (as Docker does), and commit (src/images/commit/).
 */
import { join } from 'node:path';
import type { Context } from './context.js';
import { ImageError } from '../core/errors.js';

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
  if (!['chroot', 'container'].includes(record.backend)) {
    throw new ImageError(
      'commit-unsupported',
      `environment ${record.name} runs on ${record.backend}, which has no overlay upper directory berth can read`,
      {
        fix: 'commit environments of the chroot or container backend',
      },
    );
  }
  const state = ctx.store.status(record.id).state;
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
  try {
    const { commitEnvironment } = await import('../images/commit/index.js');
    const { rootlessIdMaps } = await import('../host/id-maps.js');
    const maps = record.rootless ? rootlessIdMaps() : undefined;
    return await commitEnvironment({
      imagesDir: ctx.paths.images,
      envUpperDir: join(ctx.store.dirOf(record.id), 'upper'),
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
    if (paused) {
      const { resumeEnv } = await import('./lifecycle.js');
      await resumeEnv(ctx, record.id);
    }
  }
}
