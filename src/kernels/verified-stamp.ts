/**
 * A cached kernel is hashed once per identity of its file, not at every resolve (ADR 0071; ADR
 * 0016 re-hashed it each time: 85-125 ms for the 10.7 MB uml kernel on a 2-core host, on the
 * path of every VM start). After its SHA256 matched the record, `kernel.verified` beside the
 * record keeps the file's identity at that moment (device, inode, size, mtime and ctime in ns)
 * with the digest it matched. A file replaced (another inode: a package upgrade, a new fetch),
 * rewritten or truncated in place (mtime and ctime move; user space cannot set ctime) is hashed
 * again, and a mismatch is the same error as before.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic-write.js';

export const VERIFIED_STAMP = 'kernel.verified';

/** What says a file is the one that was hashed (numbers as decimal strings: ns and inodes exceed 2^53). */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

export interface VerifiedStamp extends FileIdentity {
  sha256: string;
}

/** The identity of PATH now (throws as statSync does). */
export function fileIdentity(path: string): FileIdentity {
  const st = statSync(path, { bigint: true });
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

/** Whether STAMP (as read, unchecked) vouches for a file of identity ID having digest SHA256. Pure. */
export function stampVouches(stamp: unknown, id: FileIdentity, sha256: string): boolean {
  if (typeof stamp !== 'object' || stamp === null) return false;
  const s = stamp as Record<string, unknown>;
  return (
    s.sha256 === sha256 &&
    s.dev === id.dev &&
    s.ino === id.ino &&
    s.size === id.size &&
    s.mtimeNs === id.mtimeNs &&
    s.ctimeNs === id.ctimeNs
  );
}

/** The digest STAMP (as read, unchecked) records for a file of identity ID, if it is that file's. Pure. */
export function stampedDigest(stamp: unknown, id: FileIdentity): string | undefined {
  if (typeof stamp !== 'object' || stamp === null) return undefined;
  const d = (stamp as Record<string, unknown>).sha256;
  return typeof d === 'string' && /^[0-9a-f]{64}$/.test(d) && stampVouches(stamp, id, d) ? d : undefined;
}

export function readStamp(dir: string, name = VERIFIED_STAMP): unknown {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Best effort: a cache this user cannot write (a shared store, ADR 0036) keeps hashing at every
 * resolve, as before. Not fsync'ed: a stamp lost in a crash only costs one more hash.
 */
export function writeStamp(dir: string, id: FileIdentity, sha256: string, name = VERIFIED_STAMP): void {
  const stamp: VerifiedStamp = { ...id, sha256 };
  try {
    writeJsonAtomic(join(dir, name), stamp, 0o644, false);
  } catch {
    /* read-only or not ours */
  }
}
