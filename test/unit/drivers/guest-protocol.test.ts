import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from '../../../src/core/errors.js';
import {
  FrameDecoder,
  FrameType as F,
  HEADER_LEN,
  MAX_PAYLOAD,
  ProtocolError,
  encodeFrame,
  encodeData,
  encodeStart,
  decodeStart,
  encodeMount,
  decodeMount,
  encodeExit,
  decodeExit,
  encodeResize,
  decodeResize,
  encodeU32,
  decodeU32,
} from '../../../src/drivers/vm/guest-protocol.js';

test('a frame is type, session (LE), length (LE), payload', () => {
  const f = encodeFrame(F.STDOUT, 0x01020304, 'hi');
  assert.deepEqual([...f], [0x83, 4, 3, 2, 1, 2, 0, 0, 0, 0x68, 0x69]);
  assert.equal(encodeFrame(F.SHUTDOWN, 0).length, HEADER_LEN);
});

test('the decoder reassembles frames split at any byte and keeps them in order', () => {
  const stream = Buffer.concat([
    encodeFrame(F.READY, 0, '6.1.0'),
    encodeFrame(F.STDOUT, 1, 'a\nb'),
    encodeFrame(F.STDIN, 7),
    encodeFrame(F.EXIT, 1, encodeExit({ exitCode: 3, signal: 0 })),
  ]);
  for (let step = 1; step <= stream.length; step++) {
    const d = new FrameDecoder();
    const got = [];
    for (let i = 0; i < stream.length; i += step) got.push(...d.push(stream.subarray(i, i + step)));
    assert.deepEqual(
      got.map((g) => [g.type, g.session, g.payload.toString('latin1')]),
      [
        [F.READY, 0, '6.1.0'],
        [F.STDOUT, 1, 'a\nb'],
        [F.STDIN, 7, ''],
        [F.EXIT, 1, encodeExit({ exitCode: 3, signal: 0 }).toString('latin1')],
      ],
      `chunks of ${step}`,
    );
    assert.equal(d.pending, 0);
  }
});

test('a length beyond the limit means the stream is out of step', () => {
  const bad = Buffer.alloc(HEADER_LEN);
  bad.writeUInt32LE(MAX_PAYLOAD + 1, 5);
  assert.throws(() => new FrameDecoder().push(bad), ProtocolError);
  assert.throws(() => encodeFrame(F.STDOUT, 1, Buffer.alloc(MAX_PAYLOAD + 1)), RangeError);
});

test('large output is split into frames the guest accepts', () => {
  const frames = encodeData(F.STDIN, 2, Buffer.alloc(MAX_PAYLOAD * 2 + 5, 1));
  assert.equal(frames.length, 3);
  const d = new FrameDecoder();
  const got = frames.flatMap((f) => d.push(f));
  assert.deepEqual(
    got.map((g) => g.payload.length),
    [MAX_PAYLOAD, MAX_PAYLOAD, 5],
  );
});

test('START carries argv, env, cwd, identity and terminal as key NUL value NUL pairs', () => {
  const req = {
    argv: ['sh', '-c', 'echo "a b"', ''],
    env: ['PATH=/bin', 'X=y=z'],
    cwd: '/w',
    uid: 1000,
    gid: 1001,
    groups: [5, 6],
    tty: true,
    stdin: true,
    rows: 24,
    cols: 80,
  };
  const p = encodeStart(req);
  assert.ok(p.toString().startsWith('arg\0sh\0arg\0-c\0arg\0echo "a b"\0arg\0\0env\0PATH=/bin\0'));
  assert.deepEqual(decodeStart(p), req);
  assert.throws(() => encodeStart({ ...req, argv: ['a\0b'] }), ProtocolError);
  const withMounts = {
    ...req,
    mounts: [
      { type: 'hostfs', source: '/h/a:b', target: '/data', readOnly: true },
      { type: '9p', source: 'tag0', target: '/x', readOnly: false },
    ],
  };
  assert.ok(encodeStart(withMounts).toString().includes('mount\0ro:hostfs:/data:/h/a:b\0mount\0rw:9p:/x:tag0\0'));
  assert.deepEqual(decodeStart(encodeStart(withMounts)), withMounts);
  assert.throws(
    () => encodeStart({ ...req, mounts: [{ type: 'hostfs', source: '/a', target: '/x:y', readOnly: false }] }),
    ProtocolError,
  );
  assert.throws(() => decodeStart(Buffer.from('arg\0x')), ProtocolError);
});

test('a file mount is marked in the mode and needs DIRECTORY/NAME as its source', () => {
  const file = { type: 'hostfs', source: '/h/d/f.txt', target: '/etc/f', readOnly: true, file: true };
  assert.equal(encodeMount(file), 'ro,file:hostfs:/etc/f:/h/d/f.txt');
  assert.deepEqual(decodeMount(encodeMount(file)), file);
  assert.equal(encodeMount({ ...file, readOnly: false }), 'rw,file:hostfs:/etc/f:/h/d/f.txt');
  assert.deepEqual(decodeMount('rw:hostfs:/d:/h/d'), { type: 'hostfs', source: '/h/d', target: '/d', readOnly: false });
  assert.throws(() => encodeMount({ ...file, source: '/h/d/' }), ProtocolError);
  assert.throws(() => encodeMount({ ...file, source: 'noslash' }), ProtocolError);
  assert.throws(() => decodeMount('ro,dir:hostfs:/d:/h/d'), ProtocolError);
});

test('EXIT, RESIZE and u32 payloads round-trip', () => {
  assert.deepEqual(decodeExit(encodeExit({ exitCode: 127, signal: 0, error: 'x: command not found' })), {
    exitCode: 127,
    signal: 0,
    error: 'x: command not found',
  });
  assert.deepEqual(decodeExit(encodeExit({ exitCode: 137, signal: 9 })), { exitCode: 137, signal: 9 });
  assert.throws(() => decodeExit(Buffer.alloc(3)), ProtocolError);
  assert.deepEqual(decodeResize(encodeResize(50, 132)), { rows: 50, cols: 132 });
  assert.equal(decodeU32(encodeU32(15)), 15);
});

test('START: many arguments fit; more than one frame holds is a SpecError naming the way out', () => {
  const base = { env: [], cwd: '/', uid: 0, gid: 0, groups: [], tty: false, stdin: false };
  const many = Array.from({ length: 10_000 }, (_, i) => String(i));
  assert.deepEqual(decodeStart(encodeStart({ ...base, argv: many })).argv, many);
  const huge = Array.from({ length: 300_000 }, (_, i) => `argument-${i}`);
  assert.throws(
    () => encodeStart({ ...base, argv: huge }),
    (e: unknown) =>
      e instanceof SpecError && e.code === 'command-too-long' && /300000 arguments/.test(e.message) && !!e.fix,
  );
});

test("EXIT's flags: an OOM kill in the guest round-trips; a guest from before the flags (u32 signal) still decodes", () => {
  const oom = { exitCode: 137, signal: 9, oomKilled: true };
  assert.deepEqual(decodeExit(encodeExit(oom)), oom);
  const bytes = encodeExit(oom);
  assert.deepEqual([...bytes.subarray(4, 8)], [9, 0, 1, 0], 'u16 signal, then u16 flags with bit 0 set');
  const old = Buffer.alloc(8);
  old.writeInt32LE(143, 0);
  old.writeUInt32LE(15, 4);
  assert.deepEqual(decodeExit(old), { exitCode: 143, signal: 15 });
});
