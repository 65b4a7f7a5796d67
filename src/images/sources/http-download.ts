/**
 * Download one URL into the blob store (a rootfs tarball for `tar:URL`) with berth's downloader
 * (src/images/download): resumed with Range within this call up to `retries` times and across
 * calls from the kept `.partial` file, and committed only when its SHA-256 matches `--sha256`.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from '../../core/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { TransferHook } from '../../core/transfer.js';
import { download, DownloadError } from '../download/download.js';

export interface DownloadOptions {
  /** `sha256:HEX` the content must have. */
  expected?: string;
  /** Attempts after the first, each resuming where the last stopped (default 4). */
  retries?: number;
  /** No byte for this long aborts the attempt (default 30 s). */
  idleTimeoutMs?: number;
  onProgress?: (msg: string) => void;
  /** Bytes of the download (total from Content-Length, when the server sends one). */
  onTransfer?: TransferHook;
}

export interface Downloaded {
  digest: string;
  size: number;
  /** Whether a partial file (from an earlier attempt or call) was continued. */
  resumed: boolean;
  /** Bytes moved over the network by this call. */
  transferred: number;
}

/** Where a download of `url` accumulates (one name per URL or per expected digest: resumable). */
export function partialFor(store: BlobStore, url: string, expected?: string): string {
  if (expected) return store.partialPath(expected);
  return join(store.tmpDir, `url-${createHash('sha256').update(url).digest('hex')}.partial`);
}

export async function downloadToStore(url: string, store: BlobStore, opts: DownloadOptions = {}): Promise<Downloaded> {
  store.ensureDirs();
  const tmp = partialFor(store, url, opts.expected);
  let got;
  try {
    got = await download({
      url,
      partial: tmp,
      ...(opts.expected ? { digest: opts.expected } : {}),
      retries: opts.retries ?? 4,
      timeoutMs: opts.idleTimeoutMs ?? 30_000,
      onResume: (have) => opts.onProgress?.(`resuming ${url} at byte ${have}`),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
  } catch (e) {
    if (e instanceof DownloadError && e.failure === 'refused')
      throw new ImageError('download-http', `cannot download ${url}: HTTP ${e.status}`, { fix: 'check the URL' });
    if (e instanceof DownloadError && (e.failure === 'interrupted' || e.failure === 'unreachable')) {
      throw new ImageError('download-failed', e.message, {
        fix: 'check the URL and the network; run again to resume the download',
        cause: e.cause,
      });
    }
    throw e;
  }
  if (store.has(got.digest)) rmSync(tmp, { force: true });
  else await store.commit(got.digest, tmp, `download of ${url}`, got.digest);
  return { digest: got.digest, size: got.size, resumed: got.resumed, transferred: got.transferred };
}
