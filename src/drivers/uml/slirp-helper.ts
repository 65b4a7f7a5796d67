/**
 * The slirp program a uml kernel runs for `--network user` (its `eth0=slirp` transport):
 * Debian's slirp package has `slirp-fullbolt` (no modem speed emulation) and `slirp`.
 */
import { accessSync, constants } from 'node:fs';

const CANDIDATES = ['/usr/bin/slirp-fullbolt', '/usr/bin/slirp'];

export function findSlirp(): string | undefined {
  for (const c of CANDIDATES) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}
