/**
 * The files a microvm boots from (not a template's clone, which resumes): the verified kernel, an
 * initramfs with the guest init and the modules it needs, the accelerator, the image's shared ext4
 * base and the environment's qcow2 overlay on it. Its own module, reached with import() from the
 * driver: a clone's start does not load the kernel, initramfs (zlib) and base disk code (ADR 0068).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PreparedEnv } from '../driver.js';
import { vmRunDir } from '../vm/vm-run-dir.js';
import type { Paths } from '../../core/paths.js';
import { DriverError, KernelError } from '../../core/errors.js';
import { findNative, notBuilt, packageRoot } from '../../host/native-paths.js';
import { resolveKernel } from '../../kernels/resolve.js';
import { diskProgress, firstUseOptions } from '../vm/first-use.js';
import { buildInitramfs } from '../../kernels/initramfs.js';
import { baseForEnvironment, disksDirOf, overlayFromBlank } from '../../disks/index.js';
import { kvmUsable } from './kvm-probe.js';
import { chooseAccel } from './microvm-accel.js';
import type { VmBridge } from '../vm/vm-network.js';
import type { PortForward } from './qemu-cmdline.js';
import type { MicrovmFiles } from './microvm-files.js';

export async function bootFiles(
  paths: Paths,
  env: PreparedEnv,
  network: MicrovmFiles['network'],
  forwards: PortForward[],
  bridge: VmBridge | undefined,
): Promise<MicrovmFiles> {
  const spec = env.spec;
  const kernel = await resolveKernel(paths, spec.kernel ?? 'microvm', firstUseOptions(env));
  if (kernel.format === 'uml') {
    throw new KernelError(
      'wrong-kernel-format',
      `kernel ${kernel.name} is a User-mode Linux kernel, not one QEMU can boot`,
      {
        fix: 'use --kernel microvm or a bzImage',
      },
    );
  }
  const init = findNative('berth-guest-init');
  if (!init) {
    const { message, fix } = notBuilt('berth-guest-init', packageRoot());
    throw new DriverError('no-guest-init', message, { fix });
  }
  // A NIC: its driver too (Debian's cloud kernel has virtio_net as a module); -v: virtiofs (ADR 0059).
  const modules = [...(network !== 'none' ? ['virtio_net'] : []), ...(spec.mounts.length > 0 ? ['virtiofs'] : [])];
  const initrd = await buildInitramfs({
    kernel,
    init,
    ...(modules.length > 0 ? { modules: [...kernel.bootModules, ...modules] } : {}),
  });
  const accel = await chooseAccel(spec.resolved.accel, () =>
    kvmUsable({ cacheDir: paths.runtime, kernel: kernel.kernel, initrd: initrd.path }),
  );
  if (spec.accel !== 'tcg') env.onProgress?.(`microvm: ${accel.reason}`);
  const { base, diskBytes } = await baseForEnvironment(env.image, 'microvm', {
    disksDir: disksDirOf(paths.images),
    rootless: env.rootless,
    ...diskProgress(env),
    ...(spec.diskSizeBytes !== undefined ? { diskSizeBytes: spec.diskSizeBytes } : {}),
  });
  const overlay = await overlayFromBlank({ base, overlay: join(env.dir, 'disk.qcow2'), sizeBytes: diskBytes });
  const runDir = vmRunDir(paths, env.id);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  return {
    kernel: kernel.kernel,
    ...(kernel.release ? { kernelRelease: kernel.release } : {}),
    initrd: initrd.path,
    base: base.path,
    baseBytes: base.sizeBytes,
    overlay: overlay.path,
    diskBytes: overlay.sizeBytes,
    accel: accel.accel,
    accelReason: accel.reason,
    network,
    forwards,
    runDir,
    ...(bridge ? { bridge } : {}),
  };
}
