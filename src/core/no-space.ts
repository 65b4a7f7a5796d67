/**
 * Whether an error says that a filesystem is full (ENOSPC, EDQUOT, or a tool's "No space left on
 * device"), looking through `cause`s. The one error that names the full filesystem is built by
 * src/host/no-space-error.ts (it reads the mount table).
 */
export const NO_SPACE_CODE = 'no-space';

/** Whether `e` (or one of its causes) says that a filesystem is full. */
export function isNoSpace(e: unknown): boolean {
  for (let c = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (typeof c !== 'object') return /No space left on device|Disk quota exceeded/.test(String(c));
    const x = c as { code?: unknown; message?: unknown };
    if (x.code === 'ENOSPC' || x.code === 'EDQUOT' || x.code === NO_SPACE_CODE) return true;
    if (typeof x.message === 'string' && /ENOSPC|No space left on device|Disk quota exceeded/.test(x.message))
      return true;
  }
  return false;
}
