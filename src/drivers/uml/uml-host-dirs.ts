/**
 * Root's uml environments run their kernel as an unprivileged uid of their own (ADR 0046). The
 * kernel then creates its COW file and its uml_dir (mconsole socket, pid file) in directories
 * that uid owns, and must be able to search the directories above them and read the kernel,
 * initramfs, base disk and modules. berth's own directories on that way are made searchable
 * (0711: no listing); anything else it cannot reach is refused before anything boots.
 */
import { chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { disksDirOf } from '../../disks/index.js';
import { dirname } from 'node:path';
import type { Paths } from '../../core/paths.js';
import { DriverError } from '../../core/errors.js';
import type { HostUser } from '../../host/uml-host-user.js';
import { unreachable, type Want } from '../../host/search-access.js';

/** Hand `owned` (made by the caller) to the kernel's identity; open the way to them. */
export function prepareHostDirs(who: HostUser, paths: Paths, envDir: string, owned: string[]): void {
  // The store's own top directories too (a BERTH_ROOT made by mkdtemp is 0700); never their parents.
  // And the image and kernel stores, and the base disks' directory, whatever mode made them.
  const store = [
    paths.data,
    dirname(paths.images),
    dirname(paths.kernels),
    paths.images,
    disksDirOf(paths.images),
    paths.kernels,
  ];
  for (const d of [...new Set([...store, paths.runtime, paths.envs, envDir, ...owned.map((o) => dirname(o))])]) {
    // Search only, for berth's own directories on the way; the kernel's own are 0700 and its.
    if (!existsSync(d)) continue;
    const st = statSync(d);
    const mode = st.mode & 0o777;
    if ((mode & 0o011) !== 0o011 && st.uid === process.getuid?.()) chmodSync(d, mode | 0o711);
  }
  for (const d of owned) chownSync(d, who.uid, who.gid);
}

/** Refuse, in one line naming the directory to fix, what the kernel's identity cannot reach. */
export function checkReachable(who: HostUser, path: string, what: string, want?: Want): void {
  let need = want;
  if (!need) {
    try {
      need = statSync(path).isDirectory() ? 'rx' : 'r';
    } catch {
      return; // a missing path is refused where it is used, with its own message
    }
  }
  const miss = unreachable(path, need, who);
  if (!miss) return;
  throw new DriverError(
    'uml-user-unreachable',
    `${what} ${path} is out of reach of uid ${who.uid}, which root's uml kernel runs as: ${miss.path} lacks ${miss.lacks} for it`,
    {
      fix:
        miss.path === path
          ? `give others ${need === 'x' ? 'execute' : 'read'} access to it (chmod o+${need} ${miss.path})`
          : `let others search the directory (chmod o+x ${miss.path})`,
    },
  );
}
