/**
 * `--kernel NAME|PATH`: a path (anything with a "/") is used as it is; a name is a manifest in
 * kernels/, taken from the cache when it is there (no network, digest re-checked) and fetched
 * into it otherwise (on first use, as images are pulled), unless `pull` is 'never'.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { KernelError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import type { Kernel } from './kernel.js';
import { findManifest, manifests } from './manifest.js';
import { cachedVersions, sha256File, verifyCached } from './cache.js';
import type { FetchKernelOptions } from './fetch.js';

export function isKernelPath(ref: string): boolean {
  return ref.includes('/');
}

async function pathKernel(paths: Paths, ref: string): Promise<Kernel> {
  const file = resolve(ref);
  let st;
  try {
    st = statSync(file);
    accessSync(file, constants.R_OK);
  } catch {
    throw new KernelError('kernel-not-found', `kernel file ${file} does not exist or is not readable`, {
      fix: 'give the path of a kernel image (bzImage/vmlinuz or linux.uml), or a name: berth kernels',
    });
  }
  if (!st.isFile())
    throw new KernelError('kernel-not-a-file', `${file} is not a regular file`, {
      fix: 'give the path of a kernel image file',
    });
  const sha256 = await sha256File(file);
  const key = createHash('sha256').update(`${file}\0${sha256}`).digest('hex').slice(0, 16);
  return {
    name: file,
    version: 'path',
    format: 'unknown',
    kernel: file,
    bootModules: [],
    sha256,
    cacheDir: join(paths.kernels, '.paths', key),
    origin: 'path',
  };
}

/** Resolve `ref` (default: the backend's own kernel name) to a usable kernel. */
export async function resolveKernel(paths: Paths, ref: string, opts: FetchKernelOptions = {}): Promise<Kernel> {
  if (isKernelPath(ref)) return pathKernel(paths, ref);
  const m = findManifest(ref);
  if (!m) {
    throw new KernelError(
      'unknown-kernel',
      `unknown kernel "${ref}" (known: ${manifests()
        .map((x) => x.name)
        .join(', ')})`,
      { fix: 'name a kernel from `berth kernels`, or give a path containing "/" (e.g. ./bzImage)' },
    );
  }
  const have = cachedVersions(paths.kernels, m.name)[0];
  if (have) return verifyCached(have);
  if (opts.pull === 'never') {
    throw new KernelError(
      'kernel-not-fetched',
      `no ${m.name} kernel is in the cache and --pull never forbids fetching it`,
      { fix: `berth kernels --fetch ${m.name}, or drop --pull never` },
    );
  }
  const { installKernel } = await import('./fetch.js');
  return verifyCached(await installKernel(paths, m, opts));
}
