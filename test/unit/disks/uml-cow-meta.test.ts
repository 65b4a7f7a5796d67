import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUmlCowHeader, ubdArg, umlCowPath } from '../../../src/disks/uml-cow.js';
import { debugfsQuote, metaScript } from '../../../src/disks/meta-script.js';
import type { LayerMetaFile } from '../../../src/images/unpack/layer-meta.js';

function cowHeader(backing: string, mtime: number, size: number, magic = 0x4f4f4f4d, version = 3): Buffer {
  const b = Buffer.alloc(32 + 4096);
  b.writeUInt32BE(magic, 0);
  b.writeUInt32BE(version, 4);
  b.writeUInt32BE(mtime, 8);
  b.writeBigUInt64BE(BigInt(size), 12);
  b.writeUInt32BE(512, 20);
  b.writeUInt32BE(4096, 24);
  b.write(backing, 32);
  return b;
}

test('UML COW v3 header (as uml_mkcow writes it)', () => {
  const h = parseUmlCowHeader(cowHeader('/var/lib/berth/images/disks/x.ext4', 1795738226, 67108864));
  assert.deepEqual(h, {
    version: 3,
    mtime: 1795738226,
    size: 67108864,
    sectorSize: 512,
    alignment: 4096,
    backingFile: '/var/lib/berth/images/disks/x.ext4',
  });
  assert.throws(() => parseUmlCowHeader(cowHeader('/x', 1, 1, 0x12345678)), /bad magic/);
  assert.throws(() => parseUmlCowHeader(cowHeader('/x', 1, 1, 0x4f4f4f4d, 2)), /version 2/);
  assert.throws(() => parseUmlCowHeader(Buffer.alloc(4)), /bad magic/);
});

test('ubd argument and COW naming', () => {
  assert.equal(ubdArg('/e/disk.cow', '/d/base.ext4'), 'ubd0=/e/disk.cow,/d/base.ext4');
  assert.equal(ubdArg('/e/c', '/d/b', 1), 'ubd1=/e/c,/d/b');
  assert.equal(umlCowPath('/e'), '/e/disk.cow');
  for (const bad of ['rel/c', '/a,b', '/a:b', '/a b', '/a=b'])
    assert.throws(() => ubdArg(bad, '/d/b'), /UML cannot use/);
});

test('debugfs quoting refuses what it cannot name', () => {
  assert.equal(debugfsQuote('/etc/my file'), '"/etc/my file"');
  assert.equal(debugfsQuote('/a"b'), undefined);
  assert.equal(debugfsQuote('/a\nb'), undefined);
});

const meta = (entries: LayerMetaFile['entries']): LayerMetaFile => ({ version: 1, entries });

test('meta script: owners, setuid, skipped devices, privileged xattrs; topmost wins', () => {
  const top = meta({ 'etc/shadow': { type: 'file', mode: 0o640, uid: 0, gid: 42 } });
  const bottom = meta({
    'etc/shadow': { type: 'file', mode: 0o600, uid: 7, gid: 7 },
    'usr/bin/passwd': { type: 'file', mode: 0o4755, uid: 0, gid: 0 },
    'dev/null': { type: 'char', mode: 0o666, uid: 0, gid: 0, devmajor: 1, devminor: 3, skipped: true },
    'bin/ping': {
      type: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      xattrs: { 'security.capability': Buffer.from('cap').toString('base64'), 'user.ok': 'eA==' },
    },
    'home/u': { type: 'dir', mode: 0o755, uid: 1000, gid: 1000 },
    'home/u/link': { type: 'hardlink', mode: 0o644, uid: 1000, gid: 1000 },
    plain: { type: 'file', mode: 0o644, uid: 0, gid: 0 },
  });
  const s = metaScript([top, undefined, bottom], () => false, '/stage');
  assert.deepEqual(s.commands, [
    'sif "/etc/shadow" gid 42',
    'sif "/usr/bin/passwd" mode 0104755',
    'cd "/dev"',
    'mknod "null" c 1 3',
    'cd /',
    'sif "/dev/null" mode 020666',
    'ea_set -f "/stage/x0" "/bin/ping" security.capability',
    'sif "/home/u" uid 1000',
    'sif "/home/u" gid 1000',
  ]);
  assert.deepEqual([...s.xattrFiles], [['x0', Buffer.from('cap')]]);
});

test('meta script: an entry a higher layer hides is skipped', () => {
  const bottom = meta({
    'gone/dev': { type: 'char', mode: 0o600, uid: 0, gid: 0, devmajor: 1, devminor: 1, skipped: true },
  });
  const asked: Array<[number, string]> = [];
  const s = metaScript(
    [undefined, bottom],
    (layer, rel) => {
      asked.push([layer, rel]);
      return true;
    },
    '/s',
  );
  assert.deepEqual(s.commands, []);
  assert.deepEqual(asked, [[1, 'gone/dev']]);
  assert.deepEqual(
    metaScript([meta({ 'a"b': { type: 'file', mode: 0o644, uid: 1, gid: 1 } })], () => false, '/s').unnamed,
    ['/a"b'],
  );
});
