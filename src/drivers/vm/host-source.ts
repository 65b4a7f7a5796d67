/** What a -v source is on the host, for the VM backends (uml's hostfs, microvm's virtiofs share directories only). */
import { realpathSync, statSync } from 'node:fs';

/** A directory, or a file under its real path (no symlink left in it). */
export type HostSource = { directory: true } | { directory: false; realPath: string };

/** A -v source that is (or links to) a directory; anything else is bound as a single file. */
export function inspectSource(p: string): HostSource {
  if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) return { directory: true };
  try {
    return { directory: false, realPath: realpathSync(p) };
  } catch {
    return { directory: false, realPath: p };
  }
}
