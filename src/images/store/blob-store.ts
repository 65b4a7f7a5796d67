/**
 * The content-addressed blob store: `<imagesDir>/blobs/sha256/<hex>`.
 *
 * A blob reaches its final path only by rename(2) of a temp file whose SHA-256 was checked
 * against the name, so a final path never holds a half-written or wrong blob. Temp files
 * live in `<imagesDir>/blobs/tmp/<hex>.partial`: one well-known name per digest, so an
 * interrupted download can be resumed. Writers of one digest serialise on a per-blob lock
 * (`<imagesDir>/blobs/locks/<hex>.lock`, a symlink naming its owner, src/core/lock.ts), so concurrent
 * pulls of the same blob download it once: the second waits, then finds it present.
 */
import { writeFileAtomic } from '../../core/atomic-write.js';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock, type Lock } from '../../core/lock.js';
import { ImageError } from '../../core/errors.js';
import { isDigest } from '../ref.js';

export function hexOf(digest: string): string {
  if (!isDigest(digest)) {
    throw new ImageError('bad-digest', `unsupported or malformed digest "${digest}"`, {
      fix: 'berth only handles sha256 digests (sha256: and 64 lowercase hex digits)',
    });
  }
  return digest.slice('sha256:'.length);
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** SHA-256 of a file, streamed. */
export async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

export class DigestMismatchError extends ImageError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    what: string,
  ) {
    super('digest-mismatch', `${what} failed verification: expected ${expected}, got ${actual}`, {
      fix: 'the registry or the network delivered corrupted data; nothing was stored, try again or report it to the registry operator',
    });
  }
}

export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;
  readonly locksDir: string;

  constructor(readonly imagesDir: string) {
    this.blobsDir = join(imagesDir, 'blobs', 'sha256');
    this.tmpDir = join(imagesDir, 'blobs', 'tmp');
    this.locksDir = join(imagesDir, 'blobs', 'locks');
  }

  ensureDirs(): void {
    for (const d of [this.blobsDir, this.tmpDir, this.locksDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  /** Final path of a blob (whether or not it exists). */
  path(digest: string): string {
    return join(this.blobsDir, hexOf(digest));
  }

  /** The resumable temp file for a digest. */
  partialPath(digest: string): string {
    return join(this.tmpDir, `${hexOf(digest)}.partial`);
  }

  lockPath(digest: string): string {
    return join(this.locksDir, `${hexOf(digest)}.lock`);
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number | undefined {
    try {
      return statSync(this.path(digest)).size;
    } catch {
      return undefined;
    }
  }

  /** Mark a blob as used now (garbage collection spares recently touched blobs). */
  touch(digest: string): void {
    const now = new Date();
    try {
      utimesSync(this.path(digest), now, now);
    } catch {
      /* absent */
    }
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  readJson<T = unknown>(digest: string): T {
    return JSON.parse(this.read(digest).toString('utf8')) as T;
  }

  /** Hold the per-blob lock while `fn` runs. */
  async withLock<T>(digest: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
    this.ensureDirs();
    const lock: Lock = await acquireLock(this.lockPath(digest), `blob ${digest}`, timeoutMs);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /**
   * Move a finished temp file into place after checking its hash. `knownDigest` is the
   * hash computed while streaming (saves a second read); otherwise the file is hashed here.
   * On a mismatch the temp file is deleted and DigestMismatchError thrown.
   */
  async commit(
    digest: string,
    tmpPath: string,
    what: string,
    knownDigest?: string,
    expectedSize?: number,
  ): Promise<string> {
    const final = this.path(digest);
    let actual = knownDigest;
    let size: number | undefined;
    if (actual === undefined) ({ digest: actual, size } = await hashFile(tmpPath));
    else size = statSync(tmpPath).size;
    if (actual !== digest) {
      rmSync(tmpPath, { force: true });
      throw new DigestMismatchError(digest, actual, what);
    }
    if (expectedSize !== undefined && size !== expectedSize) {
      rmSync(tmpPath, { force: true });
      throw new ImageError('size-mismatch', `${what} is ${size} bytes, the manifest says ${expectedSize}`, {
        fix: 'the image manifest is inconsistent; report it to the image publisher',
      });
    }
    // Asynchronous: other downloads keep streaming while this blob reaches the disk.
    const fh = await open(tmpPath, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(tmpPath, final);
    return final;
  }

  /** Store bytes held in memory (manifests, configs). Returns the digest. */
  putBytes(data: Buffer, expected?: string): string {
    const digest = sha256Digest(data);
    if (expected !== undefined && expected !== digest) throw new DigestMismatchError(expected, digest, 'blob');
    if (this.has(digest)) return digest;
    this.ensureDirs();
    writeFileAtomic(this.path(digest), data, 0o600, true, this.tmpDir);
    return digest;
  }
}
