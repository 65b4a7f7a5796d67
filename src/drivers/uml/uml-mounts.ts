/**
 * `-v` on uml: what the guest init mounts through hostfs (pure: unit-tested). hostfs shares host
 * directories only, so a file is sent as a file mount: the init mounts its directory at a private
 * staging point, binds the one file over the target and detaches the directory again.
 */
import type { Mount } from '../../core/spec.js';
import type { GuestMount } from '../vm/guest-protocol.js';

export function umlGuestMounts(mounts: readonly Mount[], isDirectory: (hostPath: string) => boolean): GuestMount[] {
  return mounts.map((m) => ({
    type: 'hostfs',
    source: m.source,
    target: m.target,
    readOnly: m.readOnly,
    ...(isDirectory(m.source) ? {} : { file: true }),
  }));
}
