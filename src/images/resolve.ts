/** Resolve an image reference to layers + config: the builtin busybox, a registry image (pulled if missing), a debian: image (built if missing), a dir:, or a tar:/archive source (imported if missing). */
import type { ResolvedImage } from './image.js';
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ImageError } from '../core/errors.js';
import { ensureBuiltinBusybox } from './builtin/busybox-image.js';
import type { PullPolicy } from '../core/pull-policy.js';
import type { TransferHook } from '../core/transfer.js';

const BUILTIN_BUSYBOX = new Set(['busybox', 'busybox:latest', 'builtin:busybox']);

export interface ResolveOptions {
  rootless: boolean;
  insecure?: string[];
  onProgress?: (msg: string) => void;
  /** Unpack warnings (skipped device nodes, no sub-ids); default: `berth: warning:` lines on stderr. */
  onWarning?: (msg: string) => void;
  /** Pull (registry) or rebuild (debian:) even when stored (`run --pull`). */
  refresh?: boolean;
  /** `--pull`: always = refresh; never = refuse an image that is not stored (registry, debian:). */
  pull?: PullPolicy;
  /** Bytes of layer downloads. */
  onTransfer?: TransferHook;
}

export async function resolveImage(ref: string, imagesDir: string, given: ResolveOptions): Promise<ResolvedImage> {
  const { pull, ...rest } = given;
  const opts: ResolveOptions = { ...rest, ...(pull === 'always' ? { refresh: true } : {}) };
  if (BUILTIN_BUSYBOX.has(ref)) {
    const img = await ensureBuiltinBusybox(
      opts.onProgress ? { imagesDir, onProgress: opts.onProgress } : { imagesDir },
    );
    return { ...img, ref };
  }
  if (ref.trim() === '')
    throw new ImageError('bad-ref', 'empty image reference', {
      fix: 'name an image, or leave it out for the builtin busybox',
    });
  // Everything else is cold: the parser, the registry client and the unpacker load on demand.
  const { parseImageRef } = await import('./ref.js');
  const parsed = parseImageRef(ref);
  if (parsed.kind === 'builtin') return resolveImage('busybox', imagesDir, opts);
  if (parsed.kind === 'dir') return dirImage(parsed.path, ref);
  if (parsed.kind !== 'registry' && parsed.kind !== 'debian') {
    const { resolveSource } = await import('./sources/index.js');
    return resolveSource(parsed, {
      imagesDir,
      rootless: opts.rootless,
      ...(opts.refresh ? { refresh: true } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
  }
  const { ensureOciImage, ensureDebian } = await import('./oci-image.js');
  const oci = { imagesDir, ...opts, ...(pull === 'never' ? { noPull: true } : {}) };
  return parsed.kind === 'debian' ? ensureDebian(parsed, oci) : ensureOciImage(parsed, oci);
}

/** `dir:PATH`: a root filesystem directory used as the single read-only layer, never written. */
function dirImage(path: string, ref: string): ResolvedImage {
  const abs = resolvePath(path);
  let ok = false;
  try {
    ok = statSync(abs).isDirectory();
  } catch {
    /* reported below */
  }
  if (!ok)
    throw new ImageError('no-such-dir', `dir: image ${abs} is not a directory`, {
      fix: 'give the path of a root filesystem directory',
    });
  return {
    ref,
    digest: `dir:${abs}`,
    layers: [abs],
    config: {
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      cmd: ['/bin/sh'],
      entrypoint: [],
      workdir: '/',
      user: '0:0',
    },
  };
}
