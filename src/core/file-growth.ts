/**
 * Byte progress of a file another process writes (mke2fs filling a disk, mmdebstrap writing a
 * tarball): its allocated bytes, polled while `work` runs. Without a hook, just `work`.
 */
import { statSync } from 'node:fs';
import { transferMeter, type TransferHook } from './transfer.js';

function allocated(path: string): number | undefined {
  try {
    return statSync(path).blocks * 512;
  } catch {
    return undefined;
  }
}

export async function watchFileGrowth<T>(
  hook: TransferHook | undefined,
  path: string,
  label: string,
  total: number | undefined,
  work: () => Promise<T>,
  everyMs = 250,
): Promise<T> {
  if (!hook) return work();
  const meter = transferMeter(hook, path, label, total);
  const poll = () => {
    const n = allocated(path);
    if (n !== undefined) meter.set(total !== undefined ? Math.min(n, total) : n);
  };
  const timer = setInterval(poll, everyMs);
  try {
    const out = await work();
    poll();
    if (total !== undefined) meter.set(total);
    meter.finish();
    return out;
  } finally {
    clearInterval(timer);
  }
}
