/**
 * Download one URL into the blob store (a rootfs tarball for `tar:URL`), with got:
 * hashed while streaming, an interrupted transfer resumed with Range (within this call up to
 * `retries` times, and across calls from the kept `.partial` file), an idle timeout on the socket,
 * and the result renamed into the store only when its SHA-256 matches `--sha256` (when given).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../../core/errors.js';
import { type BlobStore, DigestMismatchError } from '../store/blob-store.js';
import { transferMeter, type TransferHook } from '../../core/transfer.js';

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

async function hashOf(path: string, h: Hash): Promise<void> {
  for await (const c of createReadStream(path)) h.update(c as Buffer);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Where a download of `url` accumulates (one name per URL or per expected digest: resumable). */
export function partialFor(store: BlobStore, url: string, expected?: string): string {
  if (expected) return store.partialPath(expected);
  return join(store.tmpDir, `url-${createHash('sha256').update(url).digest('hex')}.partial`);
}

export async function downloadToStore(url: string, store: BlobStore, opts: DownloadOptions = {}): Promise<Downloaded> {
  store.ensureDirs();
  const { got } = await import('got');
  const tmp = partialFor(store, url, opts.expected);
  const retries = opts.retries ?? 4;
  let resumed = false;
  let transferred = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const have = sizeOf(tmp);
    const hash = createHash('sha256');
    if (have > 0) await hashOf(tmp, hash);
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
    const stream = got.stream(url, {
      headers,
      timeout: { connect: 15_000, socket: opts.idleTimeoutMs ?? 30_000 },
      retry: { limit: 0 },
      followRedirect: true,
      throwHttpErrors: false,
      decompress: false,
    });
    let res: { statusCode: number; headers: Record<string, string | string[] | undefined> };
    try {
      res = await new Promise((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
    } catch (e) {
      stream.destroy();
      lastError = e;
      continue; // connection refused/reset: try again (resuming)
    }
    if (res.statusCode === 416 && have > 0) {
      stream.destroy();
      rmSync(tmp, { force: true });
      continue;
    }
    if (res.statusCode >= 400) {
      stream.destroy();
      if (res.statusCode >= 500 && attempt < retries) {
        lastError = new Error(`HTTP ${res.statusCode}`);
        continue;
      }
      throw new ImageError('download-http', `cannot download ${url}: HTTP ${res.statusCode}`, { fix: 'check the URL' });
    }
    let append = false;
    if (res.statusCode === 206 && have > 0) {
      if (!String(res.headers['content-range'] ?? '').startsWith(`bytes ${have}-`)) {
        stream.destroy();
        rmSync(tmp, { force: true });
        continue;
      }
      append = true;
      resumed = true;
      opts.onProgress?.(`resuming ${url} at byte ${have}`);
    }
    const h = append ? hash : createHash('sha256');
    const start = append ? have : 0;
    const length = Number(res.headers['content-length']);
    const bytes = transferMeter(
      opts.onTransfer,
      url,
      decodeURIComponent(new URL(url).pathname.split('/').pop() || url),
      Number.isFinite(length) && length > 0 ? start + length : undefined,
      start,
    );
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        transferred += chunk.length;
        bytes.add(chunk.length);
        h.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(stream, meter, createWriteStream(tmp, { flags: append ? 'a' : 'w', mode: 0o600 }));
    } catch (e) {
      lastError = e; // the partial file stays: the next attempt resumes it
      continue;
    }
    bytes.finish();
    const digest = `sha256:${h.digest('hex')}`;
    const size = sizeOf(tmp);
    if (opts.expected && digest !== opts.expected) {
      rmSync(tmp, { force: true });
      throw new DigestMismatchError(opts.expected, digest, `download of ${url}`);
    }
    if (store.has(digest)) rmSync(tmp, { force: true });
    else await store.commit(digest, tmp, `download of ${url}`, digest);
    return { digest, size, resumed, transferred };
  }
  const why = lastError as { code?: string; message?: string } | undefined;
  throw new ImageError(
    'download-failed',
    `cannot download ${url} after ${retries + 1} attempts: ${why?.code ?? why?.message ?? 'unknown error'}`,
    {
      fix: 'check the URL and the network; run again to resume the download',
      cause: lastError,
    },
  );
}
