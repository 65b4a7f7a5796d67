/**
 * SEAM (replaced by src/kernels/ from the `kernels` work): which UML kernel to boot.
 * For now the host's installed linux.uml (Debian's user-mode-linux package);
 * BERTH_UML_KERNEL=PATH picks another one (tests use it for the missing-kernel case).
 */
import { accessSync, constants } from 'node:fs';
import { HostError } from '../../core/errors.js';

export const DEFAULT_UML_KERNEL = '/usr/bin/linux.uml';

export interface UmlKernel {
  path: string;
}

export function resolveUmlKernel(env: NodeJS.ProcessEnv = process.env): UmlKernel {
  const path = env.BERTH_UML_KERNEL || DEFAULT_UML_KERNEL;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new HostError('no-uml-kernel', `the User-mode Linux kernel ${path} is missing or not executable`, {
      fix: path === DEFAULT_UML_KERNEL ? 'install the user-mode-linux package' : 'point BERTH_UML_KERNEL at a linux.uml binary',
    });
  }
  return { path };
}
