/**
 * `-v` on uml: what the guest init mounts through hostfs (pure: unit-tested). hostfs shares host
 * directories only, so a file is sent as a file mount: the init mounts its directory at a private
 * staging point, binds the one file over the target and detaches the directory again.
 */
import type { Mount } from '../../core/spec.js';
import type { GuestMount } from '../vm/guest-protocol.js';

import type { HostSource } from '../vm/host-source.js';

export function umlGuestMounts(mounts: readonly Mount[], inspect: (hostPath: string) => HostSource): GuestMount[] {
  return mounts.map((m) => {
    const s = inspect(m.source);
    // A symlink would reach the guest as a link to a host path: the file is named by its real path.
    const source = s.directory ? m.source : s.realPath;
    return { type: 'hostfs', source, target: m.target, readOnly: m.readOnly, ...(s.directory ? {} : { file: true }) };
  });
}
