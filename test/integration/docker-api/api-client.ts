/**
 * Plain requests to a Docker API unix socket from the test process, as testcontainers makes them
 * (JSON in, JSON or a multiplexed stream out), for what the docker CLI cannot drive in bulk.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface ApiReply {
  status: number;
  body: Buffer;
  json(): unknown;
}

/** A reply's whole body, with its status. */
function collectReply(res: IncomingMessage, resolve: (r: ApiReply) => void, reject: (e: Error) => void): void {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.once('end', () => {
    const buf = Buffer.concat(parts);
    resolve({ status: res.statusCode ?? 0, body: buf, json: () => JSON.parse(buf.toString()) });
  });
  res.once('error', reject);
}

export function api(socket: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path: `/v1.44${path}`,
        headers:
          text === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
      },
      (res) => collectReply(res, resolve, reject),
    );
    req.once('error', reject);
    req.end(text);
  });
}

/** A PUT whose body is BODY streamed (chunked), as the docker CLI sends an archive. */
export function putStream(socket: string, path: string, body: Readable): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: socket, method: 'PUT', path: `/v1.44${path}`, headers: { 'Content-Type': 'application/x-tar' } },
      (res) => collectReply(res, resolve, reject),
    );
    req.once('error', reject);
    body.pipe(req);
  });
}

/** The stdout payloads of a multiplexed stream (8-byte headers, stream 1). */
export function stdoutOf(buf: Buffer): string {
  let out = '';
  for (let at = 0; buf.length - at >= 8; ) {
    const size = buf.readUInt32BE(at + 4);
    if (buf[at] === 1) out += buf.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return out;
}

/**
 * A request (BODY: JSON, if any) whose reader stops after the reply's first chunk: WHILE_STOPPED
 * runs meanwhile, then the rest is read. The status and how many body bytes came in all (a slow
 * client, as a docker CLI piped into a slow consumer is).
 */
export function stalledRequest(
  socket: string,
  method: string,
  path: string,
  body: unknown,
  whileStopped: () => Promise<void>,
): Promise<{ status: number; length: number }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers =
      text === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
    const req = request({ socketPath: socket, method, path: `/v1.44${path}`, headers }, (res) => {
      let length = 0;
      let stopped = false;
      res.on('data', (c: Buffer) => {
        length += c.length;
        if (stopped) return;
        stopped = true;
        res.pause();
        whileStopped().then(() => res.resume(), reject);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, length }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(text);
  });
}
