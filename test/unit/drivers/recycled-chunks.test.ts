/** RecycledFileStream: a file's chunks in buffers that come back only when released (pure enough: a temp file). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeReleasing, RecycledFileStream, releaseChunk } from '../../../src/drivers/common/recycled-chunks.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-recycled-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(10 * 1000 + 7);
const file = join(dir, 'f');
writeFileSync(file, data);

/** Every chunk as it came (copied), and the buffers they were read into. */
async function drain(
  s: RecycledFileStream,
  release: boolean,
): Promise<{ bytes: Buffer; memories: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  for await (const c of s) {
    const chunk = c as Buffer;
    parts.push(Buffer.from(chunk));
    memories.add(chunk.buffer);
    if (release) releaseChunk(chunk);
  }
  return { bytes: Buffer.concat(parts), memories };
}

test('released chunks are read into again; the bytes come whole, with what goes before and after', async () => {
  const before = Buffer.from('head');
  const after = Buffer.from('tail');
  const r = await drain(new RecycledFileStream(file, { chunk: 1000, before, after, autoClose: true }), true);
  assert.deepEqual(r.bytes, Buffer.concat([before, data, after]));
  // The head, the tail and at most a couple of buffers in turn: not one buffer per read (11 reads).
  assert.ok(r.memories.size <= 4, `${r.memories.size} distinct buffers`);
});

test('chunks never released are never read into again', async () => {
  const r = await drain(new RecycledFileStream(file, { chunk: 1000, autoClose: true }), false);
  assert.deepEqual(r.bytes, data);
  assert.equal(r.memories.size, 11);
});

test('a release is taken once: a second release of a chunk does not give its buffer back again', async () => {
  const s = new RecycledFileStream(file, { chunk: 1000, autoClose: true });
  const seen: Buffer[] = [];
  for await (const c of s) {
    const chunk = c as Buffer;
    seen.push(Buffer.from(chunk));
    releaseChunk(chunk);
    releaseChunk(chunk);
  }
  assert.deepEqual(Buffer.concat(seen), data);
});

test('with a size: reads stop there, and a file shorter than it is an error', async () => {
  const r = await drain(new RecycledFileStream(file, { chunk: 4096, size: 5000, autoClose: true }), true);
  assert.deepEqual(r.bytes, data.subarray(0, 5000));
  await assert.rejects(
    drain(new RecycledFileStream(file, { chunk: 4096, size: data.length + 1, autoClose: true }), true),
    /1 bytes short/,
  );
});

test('an open descriptor is read from where it stands and left open', async () => {
  const fd = openSync(file, 'r');
  const r = await drain(new RecycledFileStream(fd, { chunk: 4096, autoClose: false }), true);
  assert.deepEqual(r.bytes, data);
  assert.doesNotThrow(() => openSync(`/proc/self/fd/${fd}`, 'r'));
});

test('releasing a buffer that is no chunk of ours is a no-op', () => {
  assert.doesNotThrow(() => releaseChunk(Buffer.alloc(8)));
});

test('pipeReleasing: a slow sink holds the file back, every chunk is released once written, the sink is ended', async () => {
  const { Writable } = await import('node:stream');
  const got: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      got.push(Buffer.from(chunk));
      setTimeout(done, 1);
    },
  });
  const memories = new Set<ArrayBufferLike>();
  const input = new RecycledFileStream(file, { chunk: 1000, autoClose: true });
  input.on('data', (c: Buffer) => memories.add(c.buffer));
  pipeReleasing(input, sink);
  await new Promise<void>((res) => sink.once('finish', () => res()));
  assert.deepEqual(Buffer.concat(got), data);
  assert.ok(memories.size <= 3, `${memories.size} distinct buffers for 11 reads: chunks were released`);
});

test('pipeReleasing: stopped, it reads no further and leaves the sink open', async () => {
  const { PassThrough } = await import('node:stream');
  const sink = new PassThrough({ highWaterMark: 1 });
  const input = new RecycledFileStream(file, { chunk: 1000, autoClose: true });
  const stop = pipeReleasing(input, sink);
  await new Promise<void>((res) => input.once('data', () => res()));
  stop();
  assert.equal(input.listenerCount('data'), 0);
  assert.equal(sink.writableEnded, false);
  input.destroy();
});
