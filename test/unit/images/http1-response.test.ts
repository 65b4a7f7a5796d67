/** The downloader's HTTP/1.1 response reader (ADR 0067): heads and the three body framings, fed in pieces. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseReader, ResponseSyntaxError, bodyFraming } from '../../../src/images/download/http1-response.js';

/** Feed RAW in pieces of the given sizes (cycled); the head and the body bytes. */
function feed(raw: Buffer | string, sizes: number[], end = false) {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  const r = new ResponseReader();
  const body: Buffer[] = [];
  for (let off = 0, k = 0; off < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    // A reused buffer, as the socket reader has: the reader must not keep views of old contents.
    const scratch = Buffer.alloc(n + 8, 0xee);
    bytes.copy(scratch, 0, off, off + n);
    r.push(scratch.subarray(0, Math.min(n, bytes.length - off)), (b) => body.push(Buffer.from(b)));
    off += n;
  }
  if (end) r.end();
  return { r, body: Buffer.concat(body) };
}

const SPLITS = [[1], [2, 3], [7], [64], [100_000]];

describe('ResponseReader', () => {
  it('Content-Length: the body and nothing after it, however the bytes are split', () => {
    for (const s of SPLITS) {
      const { r, body } = feed('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Y:  z \r\n\r\nhelloEXTRA', s);
      assert.equal(r.head?.status, 200);
      assert.equal(r.head?.headers['x-y'], 'z');
      assert.equal(body.toString(), 'hello', `split ${s}`);
      assert.equal(r.complete, true);
    }
  });
  it('chunked, with extensions and trailers, however the bytes are split', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nT: x\r\n\r\n';
    for (const s of SPLITS) {
      const { r, body } = feed(raw, s);
      assert.equal(body.toString(), 'hello0123456789', `split ${s}`);
      assert.equal(r.complete, true, `split ${s}`);
    }
  });
  it('a body ended by the connection; an incomplete one is an error at the end', () => {
    const { r, body } = feed('HTTP/1.0 200 OK\r\n\r\nall of it', [4], true);
    assert.equal(body.toString(), 'all of it');
    assert.equal(r.complete, true);
    assert.throws(() => feed('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort', [3], true), /closed mid-body/);
    assert.throws(
      () => feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe', [3], true),
      /closed mid-body/,
    );
    assert.throws(() => feed('HTTP/1.1 20', [3], true), /before the response head/);
  });
  it('no body for 204 and 304; repeated fields joined', () => {
    const { r } = feed('HTTP/1.1 304 Not Modified\r\nA: 1\r\na: 2\r\n\r\n', [5]);
    assert.equal(r.complete, true);
    assert.equal(r.head?.headers.a, '1, 2');
  });
  it('malformed input is a ResponseSyntaxError', () => {
    for (const raw of [
      'SSH-2.0-OpenSSH\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n',
    ])
      assert.throws(() => feed(raw, [3]), ResponseSyntaxError, JSON.stringify(raw));
    assert.throws(() => feed(`HTTP/1.1 200 OK\r\nA: ${'x'.repeat(70_000)}`, [1000]), /head larger than/);
  });
  it('framing: chunked wins over a length; the same length repeated is one length', () => {
    assert.equal(
      bodyFraming({ status: 200, headers: { 'transfer-encoding': 'chunked', 'content-length': '4' } }).kind,
      'chunked',
    );
    assert.deepEqual(bodyFraming({ status: 200, headers: { 'content-length': '7, 7' } }), { kind: 'length', left: 7 });
    assert.equal(bodyFraming({ status: 200, headers: {} }).kind, 'eof');
  });
});
