/**
 * The index of pulled images, `<imagesDir>/oci/index.json`, in the shape of an OCI image
 * index: one descriptor per normalised reference (annotation org.opencontainers.image.ref.name
 * holds the full canonical ref, e.g. `docker.io/library/busybox:latest`). Each descriptor points
 * at the manifest blob the reference resolved to (an index/manifest list when the registry
 * served one) and, in `io.berth.platform-manifest`, at the platform manifest chosen from it.
 *
 * Read-modify-write happens under `<imagesDir>/oci/index.lock` (src/core/lock.ts) and the
 * file is replaced atomically (src/core/atomic-write.ts), so readers never see a torn file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock } from '../../core/lock.js';
import { writeJsonAtomic, writeFileAtomic } from '../../core/atomic-write.js';
import { ImageError } from '../../core/errors.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const PLATFORM_MANIFEST_ANNOTATION = 'io.berth.platform-manifest';
export const PULLED_AT_ANNOTATION = 'io.berth.pulled-at';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface ImageIndexFile {
  schemaVersion: 2;
  mediaType: 'application/vnd.oci.image.index.v1+json';
  manifests: Descriptor[];
}

export interface ImageRecord {
  /** Canonical reference (the key). */
  ref: string;
  /** What the reference resolved to: the digest a user sees (index or manifest). */
  digest: string;
  mediaType: string;
  size: number;
  /** The platform manifest actually used (equals `digest` when no index was involved). */
  manifestDigest: string;
  pulledAt: string;
}

export class ImageIndex {
  readonly dir: string;
  readonly file: string;
  readonly lockFile: string;

  constructor(readonly imagesDir: string) {
    this.dir = join(imagesDir, 'oci');
    this.file = join(this.dir, 'index.json');
    this.lockFile = join(this.dir, 'index.lock');
  }

  private readRaw(): ImageIndexFile {
    if (!existsSync(this.file))
      return { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as ImageIndexFile;
      if (!Array.isArray(parsed.manifests)) throw new Error('no manifests array');
      return parsed;
    } catch (e) {
      throw new ImageError('index-corrupt', `the image index ${this.file} is unreadable: ${(e as Error).message}`, {
        fix: `remove ${this.file} and pull the images again`,
        cause: e,
      });
    }
  }

  list(): ImageRecord[] {
    return this.readRaw().manifests.flatMap((d) => {
      const ref = d.annotations?.[REF_NAME_ANNOTATION];
      if (!ref) return [];
      return [
        {
          ref,
          digest: d.digest,
          mediaType: d.mediaType,
          size: d.size,
          manifestDigest: d.annotations?.[PLATFORM_MANIFEST_ANNOTATION] ?? d.digest,
          pulledAt: d.annotations?.[PULLED_AT_ANNOTATION] ?? '',
        },
      ];
    });
  }

  get(ref: string): ImageRecord | undefined {
    return this.list().find((r) => r.ref === ref);
  }

  private async update(fn: (idx: ImageIndexFile) => void): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = await acquireLock(this.lockFile, 'the image index');
    try {
      const idx = this.readRaw();
      fn(idx);
      if (!existsSync(join(this.dir, 'oci-layout'))) {
        writeFileAtomic(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}\n', 0o600, false);
      }
      writeJsonAtomic(this.file, idx);
    } finally {
      lock.release();
    }
  }

  /** Record (or re-point) `rec.ref`. */
  async put(rec: Omit<ImageRecord, 'pulledAt'> & { pulledAt?: string }): Promise<void> {
    await this.update((idx) => {
      idx.manifests = idx.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== rec.ref);
      const annotations: Record<string, string> = {
        [REF_NAME_ANNOTATION]: rec.ref,
        [PULLED_AT_ANNOTATION]: rec.pulledAt ?? new Date().toISOString(),
      };
      if (rec.manifestDigest !== rec.digest) annotations[PLATFORM_MANIFEST_ANNOTATION] = rec.manifestDigest;
      idx.manifests.push({ mediaType: rec.mediaType, digest: rec.digest, size: rec.size, annotations });
      idx.manifests.sort((a, b) =>
        (a.annotations?.[REF_NAME_ANNOTATION] ?? '').localeCompare(b.annotations?.[REF_NAME_ANNOTATION] ?? ''),
      );
    });
  }

  /** Forget a reference; returns whether it was there. Blobs stay until garbage collection. */
  async remove(ref: string): Promise<boolean> {
    let found = false;
    await this.update((idx) => {
      const before = idx.manifests.length;
      idx.manifests = idx.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== ref);
      found = idx.manifests.length !== before;
    });
    return found;
  }
}
