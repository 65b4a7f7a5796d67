import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  UnsafePathError,
  classifyWhiteout,
  detectCompression,
  normalizeEntryPath,
  opaqueXattr,
  xattrAllowed,
} from '../../../src/images/unpack/paths.js';
import { parsePax, readTar } from '../../../src/images/unpack/tar-reader.js';
import { tarArchive } from '../../../src/images/unpack/tar-writer.js';

async function* one(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

test('normalizeEntryPath: ./ prefixes, dots and slashes go', () => {
  assert.deepEqual(normalizeEntryPath('./usr/bin/ls'), ['usr', 'bin', 'ls']);
  assert.deepEqual(normalizeEntryPath('usr//lib/./x/'), ['usr', 'lib', 'x']);
  assert.deepEqual(normalizeEntryPath('./'), []);
  assert.deepEqual(normalizeEntryPath('.'), []);
  assert.deepEqual(normalizeEntryPath('a..b/..c'), ['a..b', '..c']);
});

test('normalizeEntryPath: absolute, .. and NUL are refused, not clamped', () => {
  for (const bad of ['/etc/x', '../../etc/x', 'a/../../x', 'a/..', '..', './a/../b', 'a\0b', '//etc']) {
    assert.throws(() => normalizeEntryPath(bad), UnsafePathError, bad);
  }
});

test('classifyWhiteout: plain whiteout, opaque marker, aufs metadata', () => {
  assert.deepEqual(classifyWhiteout(['usr', 'bin']), { kind: 'normal' });
  assert.deepEqual(classifyWhiteout([]), { kind: 'normal' });
  assert.deepEqual(classifyWhiteout(['etc', '.wh.passwd']), { kind: 'whiteout', target: ['etc', 'passwd'] });
  assert.deepEqual(classifyWhiteout(['.wh.c']), { kind: 'whiteout', target: ['c'] });
  assert.deepEqual(classifyWhiteout(['a', '.wh..wh..opq']), { kind: 'opaque', dir: ['a'] });
  assert.deepEqual(classifyWhiteout(['.wh..wh..opq']), { kind: 'opaque', dir: [] });
  assert.deepEqual(classifyWhiteout(['.wh..wh.plnk']), { kind: 'aufs-meta' });
  assert.deepEqual(classifyWhiteout(['a', '.wh...x']), { kind: 'whiteout', target: ['a', '..x'] });
});

test('classifyWhiteout: whiteouts of "", "." and ".." and whiteout dirs are refused', () => {
  assert.throws(() => classifyWhiteout(['a', '.wh..']), UnsafePathError);
  assert.throws(() => classifyWhiteout(['.wh...']), UnsafePathError);
  assert.throws(() => classifyWhiteout(['.wh.']), UnsafePathError);
  assert.throws(() => classifyWhiteout(['.wh.a', 'b']), UnsafePathError);
});

test('opaque xattr and xattr policy per mode', () => {
  assert.equal(opaqueXattr(false), 'trusted.overlay.opaque');
  assert.equal(opaqueXattr(true), 'user.overlay.opaque');
  assert.equal(xattrAllowed('security.capability', false), true);
  assert.equal(xattrAllowed('security.capability', true), false);
  assert.equal(xattrAllowed('user.x', true), true);
});

test('detectCompression by magic', () => {
  assert.equal(detectCompression(gzipSync(Buffer.from('x'))), 'gzip');
  assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'zstd');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), 'xz');
  assert.equal(detectCompression(Buffer.alloc(512)), 'none');
});

test('parsePax keeps binary values', () => {
  const v = Buffer.from([0, 1, 0xff, 0x0a, 0x3d]);
  const body = Buffer.concat([Buffer.from('35 SCHILY.xattr.security.cap='), v, Buffer.from('\n')]);
  const m = parsePax(body);
  assert.deepEqual(m.get('SCHILY.xattr.security.cap'), v);
});

test('tar writer/reader round trip: long names, pax xattrs, base-256 sizes', async () => {
  const long = `${'d'.repeat(80)}/${'f'.repeat(80)}`;
  const tar = tarArchive([
    { path: 'dir/', type: '5', mode: 0o1777, uid: 5, gid: 6, mtime: 1000 },
    {
      path: long,
      type: '0',
      mode: 0o4755,
      data: Buffer.from('hello'),
      pax: { 'SCHILY.xattr.user.k': Buffer.from([0, 0xff]) },
    },
    { path: 'l', type: '2', linkpath: 'x'.repeat(150) },
  ]);
  const got = [];
  for await (const { entry, body } of readTar(one(tar))) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    got.push({ ...entry, data: Buffer.concat(chunks).toString() });
  }
  assert.equal(got.length, 3);
  assert.equal(got[0]!.type, 'dir');
  assert.equal(got[0]!.mode, 0o1777);
  assert.equal(got[0]!.uid, 5);
  assert.equal(got[1]!.path, long);
  assert.equal(got[1]!.mode, 0o4755);
  assert.equal(got[1]!.data, 'hello');
  assert.deepEqual(got[1]!.xattrs.get('user.k'), Buffer.from([0, 0xff]));
  assert.equal(got[2]!.linkpath, 'x'.repeat(150));

  const huge = tarArchive([{ path: 'big', type: '0', size: 10 * 1024 ** 3 }], { end: false });
  const it = readTar(one(huge));
  const first = await it.next();
  assert.equal(first.done, false);
  assert.equal(first.value!.entry.size, 10 * 1024 ** 3);
  await assert.rejects(async () => {
    for await (const _ of first.value!.body) {
      /* drain */
    }
  }, /truncated/);
});

test('readTar: checksum mismatch is an error', async () => {
  const tar = tarArchive([{ path: 'a', type: '0', data: Buffer.from('x') }]);
  tar[0] = 0x62;
  await assert.rejects(async () => {
    for await (const _ of readTar(one(tar))) {
      /* */
    }
  }, /checksum/);
});
