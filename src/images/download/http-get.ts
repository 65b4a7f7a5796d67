/**
 * One HTTP GET on Node's own node:http / node:https (ADR 0050): the response as the stream Node
 * parsed, no wrapper. Blob downloads and manifest requests use it, so a pull never loads got
 * (which stays for token requests and Debian indices, where its extras earn their load time).
 *
 * - Redirects (301, 302, 303, 307, 308) are followed, up to 5; the Authorization header is not
 *   sent to another origin (a registry redirects blobs to storage with signed URLs).
 * - `timeoutMs` is the socket's idle timeout: it covers connecting and every stall of the body.
 * - No content decoding: the bytes are the ones the digest names.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Idle timeout on the socket, connecting included. */
  timeoutMs: number;
}

export interface HttpGetResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body (read it, or call `body.destroy()`). */
  body: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** A failure to get a response at all (refused, reset, timed out, bad URL): `code` names it. */
export class HttpGetError extends Error {
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

function once(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? import('node:https') : import('node:http');
  return lib.then(
    (m) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = m.get(url, { headers, timeout: timeoutMs }, resolve);
        req.once('timeout', () =>
          req.destroy(new HttpGetError('ETIMEDOUT', `no answer from ${url.host} within ${timeoutMs} ms`)),
        );
        req.once('error', reject);
      }),
  );
}

/** GET `url`, following redirects. Rejects with HttpGetError when no response arrives. */
export async function httpGet(url: string, opts: HttpGetOptions): Promise<HttpGetResponse> {
  let current: URL;
  try {
    current = new URL(url);
  } catch (e) {
    throw new HttpGetError('EINVAL', `bad URL "${url}"`, e);
  }
  const origin = current.origin;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:')
      throw new HttpGetError('EPROTO', `unsupported protocol ${current.protocol} in ${current}`);
    const headers = { ...(opts.headers ?? {}) };
    if (current.origin !== origin) delete headers.authorization;
    let res: IncomingMessage;
    try {
      res = await once(current, headers, opts.timeoutMs);
    } catch (e) {
      if (e instanceof HttpGetError) throw e;
      const err = e as { code?: string; message?: string };
      throw new HttpGetError(err.code ?? 'EIO', err.message ?? String(e), e);
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      res.resume(); // drain: the socket goes back to the agent
      if (hop >= MAX_REDIRECTS) throw new HttpGetError('EREDIRECT', `more than ${MAX_REDIRECTS} redirects from ${url}`);
      try {
        current = new URL(location, current);
      } catch (e) {
        throw new HttpGetError('EREDIRECT', `bad redirect to "${location}"`, e);
      }
      continue;
    }
    res.setTimeout(opts.timeoutMs, () =>
      res.destroy(new HttpGetError('ETIMEDOUT', `the transfer from ${current.host} stalled for ${opts.timeoutMs} ms`)),
    );
    return { status, headers: res.headers, body: res, url: current.toString() };
  }
}

/** The whole body, at most `max` bytes (more rejects with `tooLarge()`'s error). */
export async function readBody(body: IncomingMessage, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > max) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, n);
}
