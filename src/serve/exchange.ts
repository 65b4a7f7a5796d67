/**
 * One request and its reply, the same for a plain HTTP request and for one whose connection is
 * hijacked (`Upgrade: tcp`): handlers answer JSON, an empty status, or open a raw stream, and
 * never need to know which of the two they got.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';

export interface Exchange {
  readonly method: string;
  /** The path without any /v1.NN prefix. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The whole request body (up to 64 MiB). */
  body(): Promise<Buffer>;
  /**
   * The request body as a stream, of any size: nothing is read until it is consumed, and then at
   * the consumer's pace. Use either this or body(), once.
   */
  bodyStream(): Readable;
  json(status: number, value: unknown): void;
  empty(status: number): void;
  /**
   * Open the reply as a stream: 101 UPGRADED and the raw connection when the client asked to
   * hijack it, else STATUS with chunked encoding. Headers go out at once.
   */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  /** What the client sends after the request (its stdin), when the connection is hijacked. */
  readonly input: Readable | undefined;
  /** Called once when the client goes away or the reply is over. */
  onClose(cb: () => void): void;
  readonly closed: boolean;
}

const MAX_BODY = 64 << 20;

function readAll(stream: Readable, limit = MAX_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    stream.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        stream.destroy();
        reject(new Error(`request body over ${limit} bytes`));
      } else parts.push(c);
    });
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}

export function splitPath(url: string): { path: string; query: URLSearchParams } {
  const u = new URL(url, 'http://berth');
  return { path: u.pathname.replace(/^\/v\d+(\.\d+)?(?=\/)/, ''), query: u.searchParams };
}

export class HttpExchange implements Exchange {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly input = undefined;
  private closers: (() => void)[] = [];
  closed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = req.method ?? 'GET';
    ({ path: this.path, query: this.query } = splitPath(req.url ?? '/'));
    res.once('close', () => this.close());
  }

  get headers() {
    return this.req.headers;
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.closers.splice(0)) c();
  }

  onClose(cb: () => void) {
    if (this.closed) cb();
    else this.closers.push(cb);
  }

  body() {
    return readAll(this.req);
  }

  bodyStream(): Readable {
    return this.req;
  }

  json(status: number, value: unknown) {
    const text = `${JSON.stringify(value)}\n`;
    this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    this.res.end(this.method === 'HEAD' ? undefined : text);
  }

  empty(status: number) {
    this.res.writeHead(status).end();
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}) {
    this.res.writeHead(status, { 'Content-Type': contentType, ...headers });
    this.res.flushHeaders();
    return this.res;
  }
}

/** A request that came with `Upgrade: tcp`: the reply is written on the socket by hand. */
export class UpgradedExchange implements Exchange {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  private closers: (() => void)[] = [];
  private bodyRead: Promise<Buffer> | undefined;
  closed = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly socket: Socket,
    private head: Buffer,
  ) {
    this.method = req.method ?? 'GET';
    ({ path: this.path, query: this.query } = splitPath(req.url ?? '/'));
    socket.once('close', () => this.close());
    socket.on('error', () => this.close());
  }

  get headers() {
    return this.req.headers;
  }

  get input(): Readable {
    return this.socket;
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.closers.splice(0)) c();
  }

  onClose(cb: () => void) {
    if (this.closed) cb();
    else this.closers.push(cb);
  }

  /** Content-Length bytes from what came with the headers and then from the socket; the rest is input. */
  body(): Promise<Buffer> {
    this.bodyRead ??= new Promise((resolve, reject) => {
      const want = Number(this.req.headers['content-length'] ?? 0);
      if (!(want > 0)) {
        if (this.head.length > 0) this.socket.unshift(this.head);
        resolve(Buffer.alloc(0));
        return;
      }
      if (want > MAX_BODY) return reject(new Error(`request body over ${MAX_BODY} bytes`));
      let got = this.head;
      const done = () => {
        this.socket.off('data', more);
        const rest = got.subarray(want);
        if (rest.length > 0) this.socket.unshift(rest);
        this.socket.pause();
        resolve(got.subarray(0, want));
      };
      const more = (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= want) done();
      };
      if (got.length >= want) done();
      else this.socket.on('data', more);
    });
    return this.bodyRead;
  }

  /** Content-Length bytes, from what came with the headers and then from the socket, paced by the reader. */
  bodyStream(): Readable {
    let left = Number(this.req.headers['content-length'] ?? 0);
    const socket = this.socket;
    const head = this.head;
    this.head = Buffer.alloc(0);
    let listening = false;
    const body = new Readable({
      read() {
        if (!listening) {
          listening = true;
          socket.on('data', take);
          socket.once('end', ended);
        }
        socket.resume();
      },
    });
    const ended = () => {
      if (left > 0) body.destroy(new Error(`the request body ended ${left} bytes short`));
    };
    const take = (c: Buffer) => {
      const part = c.subarray(0, left);
      left -= part.length;
      if (left === 0) {
        socket.off('data', take);
        socket.off('end', ended);
        socket.pause();
        if (c.length > part.length) socket.unshift(c.subarray(part.length));
        if (part.length > 0) body.push(part);
        body.push(null);
      } else if (!body.push(part)) socket.pause();
    };
    if (!(left > 0)) {
      if (head.length > 0) socket.unshift(head);
      body.push(null);
    } else if (head.length > 0) {
      socket.pause();
      take(head);
    }
    return body;
  }

  private writeHead(status: number, reason: string, headers: Record<string, string | number>) {
    const lines = [`HTTP/1.1 ${status} ${reason}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  json(status: number, value: unknown) {
    const text = `${JSON.stringify(value)}\n`;
    this.writeHead(status, STATUS_CODES[status] ?? 'Status', {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      Connection: 'close',
    });
    this.socket.end(text);
  }

  empty(status: number) {
    this.writeHead(status, STATUS_CODES[status] ?? 'Status', { 'Content-Length': 0, Connection: 'close' });
    this.socket.end();
  }

  stream(_status: number, contentType: string, headers: Record<string, string> = {}) {
    this.writeHead(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp', ...headers });
    return this.socket;
  }
}
