/**
 * An HTTP/1.1 response read incrementally, for the downloader's own reader (raw-get.ts, ADR
 * 0067): the status line and headers, then the body framed by `Transfer-Encoding: chunked`, by
 * `Content-Length`, or by the end of the connection. The body comes out as views into the bytes
 * pushed in (no copy), so the reader can reuse one receive buffer. Pure.
 */

/** Lower-case names; a repeated field's values joined with ", " (as node:http does for most). */
export type Headers = Record<string, string | undefined>;

export interface ResponseHead {
  status: number;
  headers: Headers;
}

/** Malformed input: the caller treats it as a broken transfer. */
export class ResponseSyntaxError extends Error {
  readonly code = 'EPROTO';
}

/** Larger heads are refused (node:http's default limit is 16 KiB). */
const MAX_HEAD = 64 * 1024;
/** A chunk-size line, extensions included. */
const MAX_CHUNK_LINE = 4096;

type Body =
  | { kind: 'none' }
  | { kind: 'length'; left: number }
  | { kind: 'eof' }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-crlf' | 'trailer'; left: number; line: string };

function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) throw new ResponseSyntaxError(`not an HTTP/1.x status line: "${(lines[0] ?? '').slice(0, 80)}"`);
  const headers: Headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResponseSyntaxError(`malformed header line: "${line.slice(0, 80)}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    headers[name] = had === undefined ? value : `${had}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

/** How the body of a response to a GET is framed (RFC 9112 section 6.3). */
export function bodyFraming(head: ResponseHead): Body {
  if ((head.status >= 100 && head.status < 200) || head.status === 204 || head.status === 304) return { kind: 'none' };
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = String(te)
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    if (codings.at(-1) !== 'chunked') throw new ResponseSyntaxError(`unsupported Transfer-Encoding "${String(te)}"`);
    if (codings.length > 1) throw new ResponseSyntaxError(`unsupported Transfer-Encoding "${String(te)}"`);
    return { kind: 'chunked', state: 'size', left: 0, line: '' };
  }
  const cl = head.headers['content-length'];
  if (cl !== undefined) {
    const values = new Set(
      String(cl)
        .split(',')
        .map((s) => s.trim()),
    );
    const [only] = values;
    if (values.size !== 1 || !/^\d+$/.test(only!)) throw new ResponseSyntaxError(`bad Content-Length "${String(cl)}"`);
    return { kind: 'length', left: Number(only) };
  }
  return { kind: 'eof' };
}

export class ResponseReader {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private body: Body | undefined;
  head: ResponseHead | undefined;
  /** The whole response has been read (the connection may close). */
  complete = false;

  /** Feed the next bytes; body bytes go to `onBody` as views into `chunk`. */
  push(chunk: Buffer, onBody: (b: Buffer) => void): void {
    if (this.complete) return; // bytes after the response: ignored (the request said Connection: close)
    let rest = chunk;
    if (!this.body) {
      const at = this.findHeadEnd(rest);
      if (at < 0) {
        this.held.push(Buffer.from(rest)); // the caller's buffer is reused: keep a copy
        this.heldBytes += rest.length;
        if (this.heldBytes > MAX_HEAD) throw new ResponseSyntaxError(`response head larger than ${MAX_HEAD} bytes`);
        return;
      }
      const all = Buffer.concat([...this.held, rest.subarray(0, at)]);
      this.held = [];
      this.head = parseHead(all.subarray(0, all.length - 4).toString('latin1'));
      this.body = bodyFraming(this.head);
      rest = rest.subarray(at);
      if (this.body.kind === 'none' || (this.body.kind === 'length' && this.body.left === 0)) {
        this.complete = true;
        return;
      }
    }
    this.bodyBytes(rest, onBody);
  }

  /** The connection ended: complete for a body framed by the end, else an incomplete response. */
  end(): void {
    if (this.complete) return;
    if (this.body?.kind === 'eof') {
      this.complete = true;
      return;
    }
    throw new ResponseSyntaxError(
      this.body === undefined ? 'the connection closed before the response head' : 'the connection closed mid-body',
    );
  }

  /** Offset just past "\r\n\r\n" in held + chunk, as an offset into chunk; -1 when not there yet. */
  private findHeadEnd(chunk: Buffer): number {
    // The terminator may straddle the held bytes and this chunk: look at the last 3 held bytes too.
    const tail = this.held.length ? Buffer.concat(this.held).subarray(-3) : Buffer.alloc(0);
    const joined = tail.length ? Buffer.concat([tail, chunk.subarray(0, Math.min(chunk.length, 3))]) : undefined;
    if (joined) {
      const i = joined.indexOf('\r\n\r\n');
      if (i >= 0) return i + 4 - tail.length;
    }
    const i = chunk.indexOf('\r\n\r\n');
    return i < 0 ? -1 : i + 4;
  }

  private bodyBytes(b: Buffer, onBody: (b: Buffer) => void): void {
    const body = this.body!;
    if (body.kind === 'eof') {
      if (b.length) onBody(b);
      return;
    }
    if (body.kind === 'length') {
      const take = b.subarray(0, body.left);
      body.left -= take.length;
      if (take.length) onBody(take);
      if (body.left === 0) this.complete = true;
      return;
    }
    if (body.kind === 'chunked') this.chunked(body, b, onBody);
  }

  private chunked(c: Extract<Body, { kind: 'chunked' }>, b: Buffer, onBody: (b: Buffer) => void): void {
    let i = 0;
    while (i < b.length && !this.complete) {
      if (c.state === 'data') {
        const take = b.subarray(i, i + c.left);
        c.left -= take.length;
        i += take.length;
        if (take.length) onBody(take);
        if (c.left === 0) c.state = 'data-crlf';
        continue;
      }
      // Line-oriented states: read up to the next LF.
      const lf = b.indexOf(0x0a, i);
      const end = lf < 0 ? b.length : lf;
      c.line += b.subarray(i, end).toString('latin1');
      if (c.line.length > MAX_CHUNK_LINE) throw new ResponseSyntaxError('chunk line too long');
      i = lf < 0 ? b.length : lf + 1;
      if (lf < 0) return;
      const line = c.line.replace(/\r$/, '');
      c.line = '';
      if (c.state === 'data-crlf') {
        if (line !== '') throw new ResponseSyntaxError('chunk data not followed by CRLF');
        c.state = 'size';
      } else if (c.state === 'size') {
        const m = /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/.exec(line);
        if (!m || m[1]!.length > 12) throw new ResponseSyntaxError(`bad chunk size line "${line.slice(0, 40)}"`);
        c.left = Number.parseInt(m[1]!, 16);
        c.state = c.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.complete = true; // the empty line after the (ignored) trailer fields
      }
    }
  }
}
