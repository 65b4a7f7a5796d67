/** Finding a static busybox already on the host. */
import { readFile, realpath } from 'node:fs/promises';
import { isStaticElf } from './elf.js';

/** Where Debian's busybox-static puts it (bookworm: /bin, trixie: /usr/bin), and the usual spots. */
export const HOST_BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox', '/usr/sbin/busybox', '/sbin/busybox'];

export interface HostBusybox {
  /** The path as found (before symlinks). */
  path: string;
  bytes: Buffer;
}

/** The first candidate that is a static ELF executable for this machine; dynamic ones do not count. */
export async function findHostStaticBusybox(
  candidates: string[] = HOST_BUSYBOX_PATHS,
): Promise<HostBusybox | undefined> {
  const seen = new Set<string>();
  for (const path of candidates) {
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined || seen.has(real)) continue;
    seen.add(real);
    const bytes = await readFile(real).catch(() => undefined);
    if (bytes && isStaticElf(bytes, process.arch)) return { path, bytes };
  }
  return undefined;
}
