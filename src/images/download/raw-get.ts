/**
 * One HTTP GET on a plain socket (net, or tls when https), read into one reused buffer (ADR 0067).
 * node:http allocates a fresh buffer for every socket read and copies each body piece again; for
 * a 100 MiB blob that was three to four times the CPU of the whole rest of the download (hashing
 * and writing included). Here the socket's `onread` fills one 256 KiB buffer and the body goes to
 * the caller as views into it (http1-response.ts frames it).
 *
 * - One request per connection (`Connection: close`): no pool, nothing left open.
 * - Redirects (301, 302, 303, 307, 308) are followed, up to 5; the Authorization header is not
 *   sent to another origin (a registry redirects blobs to storage with signed URLs).
 * - `timeoutMs` is the socket's idle timeout: it covers connecting and every stall of the body.
 * - No content decoding: the bytes are the ones the digest names. TLS verifies the server as
 *   node:https does (system CAs, NODE_EXTRA_CA_CERTS).
 */
import type { Socket } from 'node:net';
import { type Headers, ResponseReader } from './http1-response.js';

export interface RawGetOptions {
  headers?: Record<string, string>;
  /** Idle timeout on the socket, connecting included. */
  timeoutMs: number;
}

export interface RawGetResponse {
  status: number;
  headers: Headers;
  /** The URL that answered (after redirects). */
  url: string;
  /**
   * Read the body: `onChunk` gets views into a reused buffer (use or copy them before returning;
   * a throw ends the transfer and rejects). Resolves once the whole body was read.
   */
  read(onChunk: (b: Buffer) => void): Promise<void>;
  /** Drop the body and close the connection. */
  discard(): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const RECEIVE_BUFFER = 256 * 1024;

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

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new HttpGetError('EINVAL', `header ${k} holds a line break`);
    lines.push(`${k}: ${v}`);
  }
  lines.push('Connection: close', 'Accept-Encoding: identity', '', '');
  return lines.join('\r\n');
}

/** One exchange: resolves with the head; the body is read through the returned response. */
async function once(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<RawGetResponse> {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const reader = new ResponseReader();
  const buffer = Buffer.allocUnsafe(RECEIVE_BUFFER);
  let sink: ((b: Buffer) => void) | undefined;
  /** Body bytes that came with the head, before `read` was called (copied: the buffer is reused). */
  const early: Buffer[] = [];
  let settleHead!: { resolve: () => void; reject: (e: Error) => void };
  let settleBody: { resolve: () => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const headDone = new Promise<void>((resolve, reject) => {
    settleHead = { resolve, reject };
  });
  let socket!: Socket;
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    socket.destroy();
    settleHead.reject(e);
    settleBody?.reject(e);
  };
  const onBody = (b: Buffer) => (sink ? sink(b) : early.push(Buffer.from(b)));
  const onread = {
    buffer,
    callback: (n: number, buf: Buffer): boolean => {
      try {
        const hadHead = reader.head !== undefined;
        reader.push(buf.subarray(0, n), onBody);
        if (!hadHead && reader.head) settleHead.resolve();
        if (reader.complete) {
          socket.destroy();
          settleBody?.resolve();
          return false;
        }
        // Until someone reads the body, stop reading the socket (TCP holds the rest back).
        return reader.head === undefined || sink !== undefined;
      } catch (e) {
        fail(e as Error);
        return false;
      }
    },
  };
  const opts = { host, port, onread, timeout: timeoutMs };
  socket = secure
    ? (await import('node:tls')).connect({ ...opts, servername: host, ALPNProtocols: ['http/1.1'] })
    : (await import('node:net')).connect(opts);
  socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(requestHead(url, headers)));
  socket.on('timeout', () =>
    fail(
      new HttpGetError(
        'ETIMEDOUT',
        reader.head
          ? `the transfer from ${url.host} stalled for ${timeoutMs} ms`
          : `no answer from ${url.host} within ${timeoutMs} ms`,
      ),
    ),
  );
  socket.on('error', (e) => fail(e));
  socket.on('end', () => {
    try {
      reader.end();
      settleHead.resolve();
      settleBody?.resolve();
    } catch (e) {
      fail(Object.assign(e as Error, { code: 'ECONNRESET' }));
    }
    socket.destroy();
  });
  await headDone;
  const head = reader.head!;
  return {
    status: head.status,
    headers: head.headers,
    url: url.toString(),
    read(onChunk) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => {
        settleBody = { resolve, reject };
        sink = (b) => {
          try {
            onChunk(b);
          } catch (e) {
            sink = () => undefined;
            fail(e as Error);
          }
        };
        for (const b of early.splice(0)) sink(b);
        if (failure) return;
        if (reader.complete) resolve();
        else socket.resume();
      });
    },
    discard() {
      socket.destroy();
    },
  };
}

/** GET `url`, following redirects. Rejects with HttpGetError when no response arrives. */
export async function rawGet(url: string, opts: RawGetOptions): Promise<RawGetResponse> {
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
    let res: RawGetResponse;
    try {
      res = await once(current, headers, opts.timeoutMs);
    } catch (e) {
      if (e instanceof HttpGetError) throw e;
      const err = e as { code?: string; message?: string };
      throw new HttpGetError(err.code ?? 'EIO', err.message ?? String(e), e);
    }
    const location = res.headers.location;
    if (REDIRECTS.has(res.status) && typeof location === 'string' && location) {
      res.discard();
      if (hop >= MAX_REDIRECTS) throw new HttpGetError('EREDIRECT', `more than ${MAX_REDIRECTS} redirects from ${url}`);
      try {
        current = new URL(location, current);
      } catch (e) {
        throw new HttpGetError('EREDIRECT', `bad redirect to "${location}"`, e);
      }
      continue;
    }
    return res;
  }
}

/** The whole body, at most `max` bytes (more rejects with `tooLarge()`'s error). */
export async function readBody(res: RawGetResponse, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  await res.read((c) => {
    n += c.length;
    if (n > max) throw tooLarge();
    chunks.push(Buffer.from(c));
  });
  return Buffer.concat(chunks, n);
}
