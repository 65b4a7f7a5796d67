/**
 * HTTP for the mirror, with got (imported lazily: this is never on berth's fast path).
 * `getBuffer` for small indices; `downloadVerified` hashes while streaming to disk.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { transferMeter, type TransferHook } from '../../core/transfer.js';

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
 * Stream `url` into `dest`, hashing as it goes; stops as soon as more than `maxBytes`
 * arrive. Returns the SHA-256 and size; the caller compares them with the expected ones.
 */
export async function downloadHashed(
  url: string,
  dest: string,
  maxBytes: number,
  opts: HttpOptions = {},
): Promise<StreamedFile> {
  const { got } = await import('got');
  const hash = createHash('sha256');
  let size = 0;
  const bytes = transferMeter(
    opts.onTransfer,
    url,
    decodeURIComponent(new URL(url).pathname.split('/').pop() || url),
    maxBytes,
  );
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      bytes.add(chunk.length);
      if (size > maxBytes) {
        cb(new HttpFetchError(url, undefined, `${url} is larger than the ${maxBytes} bytes the index promises`, true));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(got.stream(url, gotOptions(opts)), meter, createWriteStream(dest, { mode: 0o600 }));
  } catch (e) {
    if (e instanceof HttpFetchError) throw e;
    throw wrap(url, e);
  }
  bytes.finish();
  return { sha256: hash.digest('hex'), size };
}
