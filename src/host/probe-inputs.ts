/**
 * The inputs of cached probe verdicts (probe-cache.ts), cheap to read: a file's identity and
 * mtime, the executable a name resolves to, a sysctl's value, the kernel release. When any of
 * them changes (a package installed, a sysctl written, /etc/subuid edited), the verdict is
 * computed again. Never throws.
 */
import { statSync } from 'node:fs';
import { release } from 'node:os';
import type { CacheInputs } from './probe-cache.js';
import { findExecutable, readText } from './probes/exec.js';

/** `ino:size:mtime:mode:uid:gid` of a path (followed), or `absent`. */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.mode.toString(8)}:${s.uid}:${s.gid}:${s.rdev}`;
  } catch {
    return 'absent';
  }
}

/** Which executable `name` resolves to (PATH, then the system dirs) and its stamp. */
export function toolStamp(name: string): string {
  const p = findExecutable(name);
  return p ? `${p}@${fileStamp(p)}` : 'absent';
}

/** A sysctl's (or any small file's) trimmed text, or `absent`. */
export function sysctlValue(path: string): string {
  return readText(path)?.trim() ?? 'absent';
}

/** What every namespace try depends on: who asks, the kernel, the sysctls that gate user namespaces, unshare. */
export function namespaceInputs(): CacheInputs {
  return {
    uid: process.getuid?.() ?? -1,
    kernel: release(),
    unshare: toolStamp('unshare'),
    maxUserNs: sysctlValue('/proc/sys/user/max_user_namespaces'),
    userNsClone: sysctlValue('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorUserNs: sysctlValue('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
  };
}
