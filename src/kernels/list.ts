/** What `berth kernels` shows: every manifest, with the versions in the cache. */
import type { Paths } from '../core/paths.js';
import { manifests } from './manifest.js';
import { cachedVersions, kernelOf } from './cache.js';

export interface KernelListing {
  name: string;
  description: string;
  format: 'uml' | 'bzImage';
  package: string;
  /** Versions in the cache, newest first ([] = available, fetched on first use). */
  cached: {
    version: string;
    release?: string;
    origin: 'mirror' | 'installed';
    kernel: string;
    modulesDir?: string;
    sha256: string;
    fetchedAt: string;
  }[];
}

export function listKernels(paths: Paths): KernelListing[] {
  return manifests().map((m) => ({
    name: m.name,
    description: m.description,
    format: m.format,
    package: m.package,
    cached: cachedVersions(paths.kernels, m.name).map(({ dir, record }) => {
      const k = kernelOf(dir, record);
      const c: KernelListing['cached'][number] = {
        version: k.version,
        origin: record.origin,
        kernel: k.kernel,
        sha256: k.sha256,
        fetchedAt: record.fetchedAt,
      };
      if (k.release) c.release = k.release;
      if (k.modulesDir) c.modulesDir = k.modulesDir;
      return c;
    }),
  }));
}
