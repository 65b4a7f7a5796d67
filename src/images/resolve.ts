/** Resolve an image reference to layers + config: the builtin busybox, a registry image (pulled if missing), a debian: image (built if missing), a dir:, or a tar:/archive source (imported if missing). */
import type { ResolvedImage } from './image.js';
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ImageError } from '../core/errors.js';
import { ensureBuiltinBusybox } from './builtin/busybox-image.js';

const BUILTIN_BUSYBOX = new Set(['busybox', 'busybox:latest', 'builtin:busybox']);

export interface ResolveOptions {
  rootless: boolean;
  insecure?: string[];
  onProgress?: (msg: string) => void;
  /** Unpack warnings (skipped device nodes, no sub-ids); default: `berth: warning:` lines on stderr. */
  onWarning?: (msg: string) => void;
  /** Pull (registry) or rebuild (debian:) even when stored (`run --pull`). */
  refresh?: boolean;
}

export async function resolveImage(ref: string, imagesDir: string, opts: ResolveOptions): Promise<ResolvedImage> {
  if (BUILTIN_BUSYBOX.has(ref)) {
    const img = await ensureBuiltinBusybox(opts.onProgress ? { imagesDir, onProgress: opts.onProgress } : { imagesDir });
    return { ...img, ref };
  }
  if (ref.trim() === '') throw new ImageError('bad-ref', 'empty image reference', { fix: 'name an image, or leave it out for the builtin busybox' });
  // Everything else is cold: the parser, the registry client and the unpacker load on demand.
  const { parseImageRef } = await import('./ref.js');
  const parsed = parseImageRef(ref);
  if (parsed.kind === 'builtin') return resolveImage('busybox', imagesDir, opts);
  if (parsed.kind === 'dir') return dirImage(parsed.path, ref);
  if (parsed.kind !== 'registry' && parsed.kind !== 'debian') {
    const { resolveSource } = await import('./sources/index.js');
    return resolveSource(parsed, {
      imagesDir, rootless: opts.rootless, ...(opts.refresh ? { refresh: true } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
  }
  const { ensureOciImage, ensureDebian } = await import('./oci-image.js');
  return parsed.kind === 'debian' ? ensureDebian(parsed, { imagesDir, ...opts }) : ensureOciImage(parsed, { imagesDir, ...opts });
}

/** `dir:PATH`: a root filesystem directory used as the single read-only layer, never written. */
function dirImage(path: string, ref: string): ResolvedImage {
  const abs = resolvePath(path);
  let ok = false;
  try {
    ok = statSync(abs).isDirectory();
  } catch { /* reported below */ }
  if (!ok) throw new ImageError('no-such-dir', `dir: image ${abs} is not a directory`, { fix: 'give the path of a root filesystem directory' });
  return {
    ref,
    digest: `dir:${abs}`,
    layers: [abs],
    config: { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, cmd: ['/bin/sh'], entrypoint: [], workdir: '/', user: '0:0' },
  };
}
