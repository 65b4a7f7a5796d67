/** `berth kernels`: the kernel manifests with what is cached; fetching one ahead of use. */
import type { Context } from './context.js';
import { listKernels, type KernelListing } from '../kernels/list.js';
import { resolveKernel } from '../kernels/resolve.js';
import type { Kernel } from '../kernels/kernel.js';

export function kernelsOf(ctx: Context): KernelListing[] {
  return listKernels(ctx.paths);
}

/** Resolve `--kernel NAME|PATH` (fetching and verifying into the cache when needed). */
export function kernelFor(ctx: Context, ref: string, onProgress?: (m: string) => void): Promise<Kernel> {
  return resolveKernel(ctx.paths, ref, onProgress ? { progress: onProgress } : {});
}
