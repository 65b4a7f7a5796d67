/** What stops `-v` on microvm before anything is built (ADR 0059): no virtiofsd, or (a normal user) no sub-ids for its user namespace. */
import { accessSync, constants } from 'node:fs';
import type { Problem } from '../driver.js';
import type { ResolvedSpec } from '../../core/resolved-spec.js';
import { rootlessIdMaps } from '../../host/id-maps.js';
import { VIRTIOFSD } from './virtiofsd-cmdline.js';

export interface VirtiofsHost {
  /** Is virtiofsd there and executable? */
  virtiofsd: () => boolean;
  /** Does the caller have sub-ids (newuidmap and /etc/subuid, /etc/subgid ranges)? */
  subIds: () => boolean;
}

const HOST: VirtiofsHost = {
  virtiofsd: () => {
    try {
      accessSync(VIRTIOFSD, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  subIds: () => rootlessIdMaps().full,
};

export function virtiofsProblems(spec: ResolvedSpec, rootless: boolean, host: VirtiofsHost = HOST): Problem[] {
  if (spec.mounts.length === 0) return [];
  if (!host.virtiofsd())
    return [
      {
        field: 'volume',
        message: `-v on the microvm backend needs virtiofsd, and ${VIRTIOFSD} is missing`,
        fix: 'install it (Debian: apt-get install qemu-system-common), or drop -v',
      },
    ];
  // virtiofsd switches to the guest's uids and calls setgroups(): a map of one id does not allow that.
  if (rootless && !host.subIds())
    return [
      {
        field: 'volume',
        message: '-v on the microvm backend needs sub-ids for this user (virtiofsd runs in a user namespace)',
        fix: 'add ranges for this user to /etc/subuid and /etc/subgid (package uidmap), or drop -v',
      },
    ];
  return [];
}
