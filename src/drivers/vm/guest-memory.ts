/** A VM guest's RAM (uml, microvm): the floor rule, and the MiB resolved once (core/resolved-spec.ts). */
import type { Problem } from '../driver.js';
import { VM_DEFAULT_MEMORY, type ResolvedSpec } from '../../core/resolved-spec.js';
import { formatSize } from '../../core/units.js';

/** The guest's RAM in MiB, as resolved at creation (--memory or the backend's default). */
export function guestMemoryMiB(spec: ResolvedSpec): number {
  const mib = spec.resolved.memoryMiB;
  if (mib === undefined) throw new RangeError("a VM backend's spec was resolved without guest memory");
  return mib;
}

/** --memory below what the guest kernel needs to boot; `what` names that kernel in the message. */
export function memoryFloorProblems(
  spec: ResolvedSpec,
  backend: 'uml' | 'microvm',
  floorBytes: number,
  what: string,
): Problem[] {
  const bytes = spec.limits.memoryBytes;
  if (bytes === undefined || bytes >= floorBytes) return [];
  const fallback = VM_DEFAULT_MEMORY[backend];
  return [
    {
      field: 'memory',
      message: `--memory ${bytes} bytes is too small for ${what}`,
      fix: `give at least ${formatSize(floorBytes)}${fallback ? ` (the default is ${formatSize(fallback)})` : ''}`,
    },
  ];
}
