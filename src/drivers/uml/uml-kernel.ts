/**
 * Which UML kernel an environment boots: `--kernel NAME|PATH`, else BERTH_UML_KERNEL=PATH (an
 * override for tests and kernel developers), else the `uml` manifest (kernels/uml.json): the
 * installed user-mode-linux package when it is the archive's version, or the verified .deb
 * from the host's Debian mirror, cached (src/kernels/, ADR 0016).
 */
import type { Paths } from '../../core/paths.js';
import { KernelError } from '../../core/errors.js';
import type { Kernel } from '../../kernels/kernel.js';
import { resolveKernel } from '../../kernels/resolve.js';
import type { FetchKernelOptions } from '../../kernels/fetch.js';

export const UML_MANIFEST = 'uml';

export async function resolveUmlKernel(
  paths: Paths,
  requested: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  opts: FetchKernelOptions = {},
): Promise<Kernel> {
  const ref = requested ?? (env.BERTH_UML_KERNEL || UML_MANIFEST);
  const k = await resolveKernel(paths, ref, opts);
  if (k.format === 'bzImage') {
    throw new KernelError(
      'not-a-uml-kernel',
      `kernel "${ref}" is a ${k.format} for a VM, not a User-mode Linux kernel`,
      { fix: 'use --kernel uml (see "berth kernels") or a linux.uml path' },
    );
  }
  return k;
}
