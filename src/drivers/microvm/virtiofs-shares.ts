/**
 * `-v` on microvm (ADR 0059): one virtiofs share per mount, each served by its own virtiofsd.
 * Pure: the mounts and what their sources are in, the shares and the guest's mounts out.
 *
 * A share exports a staging directory under the environment's state dir (`shares/N`), which the
 * virtiofsd's private mount namespace fills: a directory source is bound onto it; a file source
 * gets a tmpfs there holding only that file (bound over an empty file of its name), so a guest
 * root that mounts the tag itself still sees no sibling of the file. `:ro` is a read-only bind
 * on the host side, which no guest can remount.
 */
import { basename, join } from 'node:path';
import type { Mount } from '../../core/spec.js';
import type { GuestMount } from '../vm/guest-protocol.js';
import type { HostSource } from '../vm/host-source.js';

export interface VirtiofsShare {
  /** The tag the guest mounts (`berthN`). */
  tag: string;
  /** The host directory, or the file's real path. */
  source: string;
  /** A single file: its name in the staged directory. */
  fileName?: string;
  readOnly: boolean;
  /** The directory virtiofsd exports (made by the driver, filled in virtiofsd's mount namespace). */
  stage: string;
  /** The vhost-user socket virtiofsd listens on and QEMU connects to. */
  socket: string;
  /** Where the mount goes in the guest. */
  target: string;
}

/** The directory of the staging points; every virtiofsd's argv names it (rm finds them so). */
export const SHARES_DIR = 'shares';

export function virtiofsShares(
  mounts: readonly Mount[],
  envDir: string,
  runDir: string,
  inspect: (hostPath: string) => HostSource,
): VirtiofsShare[] {
  return mounts.map((m, i) => {
    const s = inspect(m.source);
    return {
      tag: `berth${i}`,
      source: s.directory ? m.source : s.realPath,
      ...(s.directory ? {} : { fileName: basename(s.realPath) }),
      readOnly: m.readOnly,
      stage: join(envDir, SHARES_DIR, String(i)),
      socket: join(runDir, `fs${i}.sock`),
      target: m.target,
    };
  });
}

/** What the guest init mounts: the tag, or (a file) TAG/NAME, which it binds alone over the target. */
export function virtiofsGuestMounts(shares: readonly VirtiofsShare[]): GuestMount[] {
  return shares.map((s) => ({
    type: 'virtiofs',
    source: s.fileName ? `${s.tag}/${s.fileName}` : s.tag,
    target: s.target,
    readOnly: s.readOnly,
    ...(s.fileName ? { file: true } : {}),
  }));
}
