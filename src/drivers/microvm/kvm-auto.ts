/**
 * For `--backend auto`: does KVM really work for microvm here? The same boot probe (and the
 * same per-boot cached verdict) as the driver's `--accel auto`, so auto never picks a microvm
 * that would then run under TCG. Loaded only where /dev/kvm is present. Never throws.
 */
import type { Paths } from '../../core/paths.js';
import type { Finding } from '../../host/probes/finding.js';
import { findNative } from '../../host/native-paths.js';
import { resolveKernel } from '../../kernels/resolve.js';
import { buildInitramfs } from '../../kernels/initramfs.js';
import { kvmUsable } from './kvm-probe.js';

export async function kvmBoots(paths: Paths): Promise<Finding> {
  try {
    const init = findNative('berth-guest-init');
    if (!init) return { ok: false, detail: 'the guest init berth-guest-init is not built (npm run build)' };
    const kernel = await resolveKernel(paths, 'microvm');
    const initrd = await buildInitramfs({ kernel, init });
    return await kvmUsable({ cacheDir: paths.runtime, kernel: kernel.kernel, initrd: initrd.path });
  } catch (e) {
    return { ok: false, detail: `the KVM boot probe could not run: ${(e as Error).message.split('\n')[0]}` };
  }
}
