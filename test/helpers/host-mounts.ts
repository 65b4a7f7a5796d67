/**
 * The host's own API mounts. A guest process that escapes its VM (a uml kernel killed from
 * outside detaches its traced processes for a moment) could unmount them as root; the suites
 * check that they are all still there when they end.
 */
import { readFileSync } from 'node:fs';

const WATCHED = ['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm'];

/** Which of the watched mount points are mount points now. */
export function hostApiMounts(): string[] {
  const points = new Set(
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4]),
  );
  return WATCHED.filter((p) => points.has(p));
}

/** Throws naming every watched mount point that was there in `before` and is gone now. */
export function assertHostMountsKept(before: string[], what: string): void {
  const now = new Set(hostApiMounts());
  const lost = before.filter((p) => !now.has(p));
  if (lost.length > 0)
    throw new Error(`${what} unmounted the host's ${lost.join(', ')}: a guest process acted on the host`);
}
