/**
 * HTTP for the mirror, with got (imported lazily: this is never on berth's fast path).
 * `getBuffer` for small indices (in memory); `downloadHashed` for files, through berth's one
 * downloader (src/images/download).
 */
import { renameSync } from 'node:fs';
import type { TransferHook } from '../../core/transfer.js';
import { download, DownloadError } from '../download/download.js';

export class HttpFetchError extends Error {
  constructor(
    readonly url: string,
    readonly statusCode: number | undefined,
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export interface HttpOptions {
  timeoutMs?: number;
  /** Bytes of downloadHashed's file (its total: maxBytes, the size the signed index gives). */
  onTransfer?: TransferHook;
}

function gotOptions(opts: HttpOptions) {
  const t = opts.timeoutMs ?? 30_000;
  return {
    timeout: { connect: Math.min(t, 15_000), socket: t },
    retry: { limit: 1 },
    followRedirect: true,
  } as const;
}

function wrap(url: string, e: unknown): HttpFetchError {
  const err = e as { response?: { statusCode?: number }; code?: string; message?: string };
  const status = err.response?.statusCode;
  const msg = status !== undefined ? `HTTP ${status}` : (err.code ?? err.message ?? String(e));
  return new HttpFetchError(url, status, `cannot download ${url}: ${msg}`);
}

/** GET a whole body into memory, refusing bodies over maxBytes. */
export async function getBuffer(url: string, maxBytes: number, opts: HttpOptions = {}): Promise<Buffer> {
  const { got } = await import('got');
  try {
    const res = await got(url, { ...gotOptions(opts), responseType: 'buffer' });
    if (res.body.length > maxBytes)
      throw new HttpFetchError(url, undefined, `${url} is larger than ${maxBytes} bytes`, true);
    return res.body;
  } catch (e) {
    if (e instanceof HttpFetchError) throw e;
    throw wrap(url, e);
  }
}

export interface StreamedFile {
  sha256: string;
  size: number;
}

/**
 * Download `url` to `dest` with berth's downloader (src/images/download): into `dest.partial`,
 * resumed when one is left, stopped as soon as more than `maxBytes` arrive, renamed to `dest` at
 * the end. Returns the SHA-256 and size; the caller compares them with the signed ones.
 */
export async function downloadHashed(
  url: string,
  dest: string,
  maxBytes: number,
  opts: HttpOptions = {},
): Promise<StreamedFile> {
  const partial = `${dest}.partial`;
  try {
    const got = await download({
      url,
      partial,
      maxBytes,
      retries: 1,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
    renameSync(partial, dest);
    return { sha256: got.digest.slice('sha256:'.length), size: got.size };
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    if (e.failure === 'too-large')
      throw new HttpFetchError(url, undefined, `${url} is larger than the ${maxBytes} bytes the index promises`, true);
    if (e.failure === 'refused') throw new HttpFetchError(url, e.status, `cannot download ${url}: HTTP ${e.status}`);
    throw wrap(url, e.cause ?? e);
  }
}
