/**
 * What the VM drivers fetch or build on first use (the kernel, the base disk) is told the run's
 * `--pull` policy and reports through the run's progress hooks.
 */
import type { PreparedEnv } from '../driver.js';
import type { FetchKernelOptions } from '../../kernels/fetch.js';
import type { TransferHook } from '../../core/transfer.js';

/** resolveKernel's options for `env`: --pull, progress lines and bytes. */
export function firstUseOptions(env: PreparedEnv): FetchKernelOptions {
  return {
    ...(env.spec.pull ? { pull: env.spec.pull } : {}),
    ...(env.onProgress ? { progress: env.onProgress } : {}),
    ...(env.onTransfer ? { onTransfer: env.onTransfer } : {}),
  };
}

/** ensureBaseDisk's progress options for `env`. */
export function diskProgress(env: PreparedEnv): { onProgress?: (m: string) => void; onTransfer?: TransferHook } {
  return {
    ...(env.onProgress ? { onProgress: env.onProgress } : {}),
    ...(env.onTransfer ? { onTransfer: env.onTransfer } : {}),
  };
}
