/** `berth kernels`: the kernel manifests with what is cached; fetching one ahead of use. */
import type { Context } from './context.js';
import { listKernels, type KernelListing } from '../kernels/list.js';
import { resolveKernel } from '../kernels/resolve.js';
import type { Kernel } from '../kernels/kernel.js';
import type { TransferHook } from '../core/transfer.js';
import type { PullPolicy } from '../core/pull-policy.js';

export function kernelsOf(ctx: Context): KernelListing[] {
  return listKernels(ctx.paths);
}

/** Resolve `--kernel NAME|PATH` (fetching and verifying into the cache when needed). */
export function kernelFor(
  ctx: Context,
  ref: string,
  opts: { onProgress?: (m: string) => void; onTransfer?: TransferHook; pull?: PullPolicy } = {},
): Promise<Kernel> {
  return resolveKernel(ctx.paths, ref, {
    ...(opts.onProgress ? { progress: opts.onProgress } : {}),
    ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    ...(opts.pull ? { pull: opts.pull } : {}),
  });
}
