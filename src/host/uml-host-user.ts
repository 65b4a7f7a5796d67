/**
 * The host identity a root-started uml kernel runs as (ADR 0046): never host root. Each
 * environment gets a uid (and the same gid) from a block of 65536 ids that systemd's uid
 * ranges leave unused (0x70000000, above the container range), picked from its id, so two
 * environments' kernels are each other's strangers (two share one only by a hash collision,
 * and stay unprivileged then too). A normal user's kernel keeps that user's identity.
 */
import { createHash } from 'node:crypto';

export interface HostUser {
  uid: number;
  gid: number;
}

export const UML_ID_BASE = 0x7000_0000;
export const UML_ID_COUNT = 65_536;

/** The kernel's identity for environment `envId`, or undefined when the caller is not root. */
export function umlHostUser(envId: string, callerUid: number): HostUser | undefined {
  if (callerUid !== 0) return undefined;
  const slot = createHash('sha256').update(envId).digest().readUInt16BE(0) % UML_ID_COUNT;
  const id = UML_ID_BASE + slot;
  return { uid: id, gid: id };
}
