import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { BULK_IN_WINDOW, BULK_SMALL, BulkChannel } from '../../../src/drivers/vm/bulk-channel.js';
import {
  BULK_CHUNK,
  BulkFrame,
  decodeBulkIn,
  decodeBulkOut,
  encodeBulkIn,
  encodeBulkOut,
  inFileName,
  outFileName,
} from '../../../src/drivers/vm/bulk-frames.js';
import { FrameDecoder, FrameType as F, type Frame } from '../../../src/drivers/vm/guest-protocol.js';

function channel(): { dir: string; bulk: BulkChannel; frames: Frame[] } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bulk-'));
  const frames: Frame[] = [];
  const dec = new FrameDecoder();
  const bulk = new BulkChannel(dir, (b) => frames.push(...dec.push(b)));
  return { dir, bulk, frames };
}

/** What the guest would give the process: inline STDIN bytes and the files IN names, in frame order. */
function guestStdin(dir: string, frames: Frame[], session: number): { bytes: Buffer; eof: boolean } {
  const parts: Buffer[] = [];
  let eof = false;
  for (const f of frames.filter((x) => x.session === session)) {
    if (f.type === F.STDIN && f.payload.length === 0) eof = true;
    else if (f.type === F.STDIN) parts.push(f.payload);
    else if (f.type === BulkFrame.IN) {
      const { seq, length } = decodeBulkIn(f.payload);
      const data = readFileSync(join(dir, inFileName(seq)));
      assert.equal(data.length, length);
      parts.push(data);
    }
  }
  return { bytes: Buffer.concat(parts), eof };
}

test('bulk frames encode and decode', () => {
  assert.deepEqual(decodeBulkIn(encodeBulkIn(7, 1234)), { seq: 7, length: 1234 });
  assert.deepEqual(decodeBulkOut(encodeBulkOut(F.STDERR, 9, 55)), { type: F.STDERR, seq: 9, length: 55 });
  assert.throws(() => decodeBulkIn(Buffer.alloc(3)), /needs 8/);
});

test('BulkChannel: large input in files of at most a chunk, a window of them per session, small input and EOF inline, in order', async () => {
  const { dir, bulk, frames } = channel();
  try {
    assert.equal(bulk.active, false);
    bulk.onReady();
    const data = Buffer.alloc(BULK_CHUNK * 6 + 100, 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    for (let off = 0; off < data.length; off += 65536) bulk.stdin(2, data.subarray(off, off + 65536));
    bulk.stdin(2, Buffer.alloc(0));
    await tick();
    const ins = () => frames.filter((f) => f.type === BulkFrame.IN);
    assert.equal(ins().length, BULK_IN_WINDOW, 'no more files than the window before the guest says DONE');
    for (const f of ins()) assert.ok(decodeBulkIn(f.payload).length <= BULK_CHUNK);
    assert.equal(bulk.held(2), data.length - BULK_IN_WINDOW * BULK_CHUNK);
    let released = false;
    bulk.whenHeldBelow(2, BULK_CHUNK, () => (released = true));
    for (let i = 0; i < 10; i++) bulk.onDone(2, Buffer.from([0, 0, 0, 0]));
    assert.equal(released, true);
    const got = guestStdin(dir, frames, 2);
    assert.equal(got.bytes.equals(data), true, 'the guest gets every byte in order');
    assert.equal(got.eof, true);
    assert.equal(frames.at(-1)!.type, F.STDIN, 'EOF after the last file');
    assert.equal(
      frames.filter((f) => f.type === F.STDIN && f.payload.length > 0).length,
      1,
      'the 100-byte tail inline',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BulkChannel: a keystroke goes on the line; an output file is read, removed, and TAKEN told', async () => {
  const { dir, bulk, frames } = channel();
  try {
    bulk.onReady();
    bulk.stdin(3, Buffer.from('q'));
    await tick();
    assert.deepEqual(
      frames.map((f) => [f.type, f.session, f.payload.toString()]),
      [[F.STDIN, 3, 'q']],
    );
    assert.ok(BULK_SMALL > 1);
    writeFileSync(join(dir, outFileName(5)), 'output bytes');
    const out = bulk.takeOutput(encodeBulkOut(F.STDERR, 5, 12));
    assert.deepEqual([out.type, out.data.toString()], [F.STDERR, 'output bytes']);
    assert.equal(existsSync(join(dir, outFileName(5))), false);
    writeFileSync(join(dir, outFileName(6)), 'short');
    assert.throws(() => bulk.takeOutput(encodeBulkOut(F.STDOUT, 6, 12)), /5 of 12 bytes/);
    assert.equal(existsSync(join(dir, outFileName(6))), false);
    bulk.taken(4);
    assert.deepEqual([frames.at(-1)!.type, frames.at(-1)!.session], [BulkFrame.TAKEN, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BulkChannel: input of an ended session is dropped and its waiters released', async () => {
  const { dir, bulk, frames } = channel();
  try {
    bulk.onReady();
    bulk.stdin(2, Buffer.alloc(BULK_CHUNK * 8));
    let released = false;
    bulk.whenHeldBelow(2, 1, () => (released = true));
    bulk.end(2);
    assert.equal(released, true);
    await tick();
    assert.equal(frames.length, 0, 'nothing is sent for a session that ended');
    assert.equal(bulk.held(2), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
