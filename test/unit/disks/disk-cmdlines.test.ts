import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOUNT_THEN_EXEC,
  inMergedViewArgv,
  measureCommand,
  mke2fsArgv,
  overlayOptions,
  parseMeasure,
} from '../../../src/disks/build-cmdline.js';
import { parseQemuImgInfo, qcow2CreateArgv, qemuImgInfoArgv } from '../../../src/disks/qcow2-cmdline.js';
import { baseFileName, imageKey, keyOfBaseFile } from '../../../src/disks/base-names.js';

const HEX = 'a'.repeat(64);

test('overlay options: short relative lower dirs, topmost first, the empty dir last', () => {
  assert.equal(overlayOptions(1, false), 'ro,lowerdir=l0:empty');
  assert.equal(overlayOptions(3, true), 'ro,lowerdir=l0:l1:l2:empty,userxattr');
  assert.throws(() => overlayOptions(0, false), RangeError);
  assert.ok(overlayOptions(500, true).length < 4096, 'hundreds of layers fit in one mount option');
});

test('root: a private mount namespace only', () => {
  const argv = inMergedViewArgv({ rootless: false, unshare: '/usr/bin/unshare', sh: '/bin/sh' }, '/d/.stage', 2, [
    '/bin/true',
  ]);
  assert.deepEqual(argv, [
    '/usr/bin/unshare',
    '--mount',
    '--propagation',
    'private',
    '/bin/sh',
    '-c',
    MOUNT_THEN_EXEC,
    'sh',
    '/d/.stage',
    'ro,lowerdir=l0:l1:empty',
    '/bin/true',
  ]);
});

test('rootless: inside berth-shim unshare with the sub-id maps, userxattr', () => {
  const argv = inMergedViewArgv(
    {
      rootless: true,
      unshare: '/usr/bin/unshare',
      sh: '/bin/sh',
      shim: '/x/berth-shim',
      uidMaps: [
        { inside: 0, outside: 1002, count: 1 },
        { inside: 1, outside: 165536, count: 65536 },
      ],
      gidMaps: [{ inside: 0, outside: 1002, count: 1 }],
    },
    '/d/.stage',
    1,
    ['du'],
  );
  assert.equal(argv[0], '/x/berth-shim');
  assert.equal(argv[1], 'unshare');
  const dd = argv.indexOf('--');
  assert.deepEqual(argv.slice(2, dd), [
    '--uid-map',
    '0 1002 1',
    '--uid-map',
    '1 165536 65536',
    '--gid-map',
    '0 1002 1',
  ]);
  assert.deepEqual(argv.slice(dd + 1, dd + 5), ['/usr/bin/unshare', '--mount', '--propagation', 'private']);
  assert.ok(argv.includes('ro,lowerdir=l0:empty,userxattr'));
  assert.throws(() => inMergedViewArgv({ rootless: true, unshare: 'u', sh: 's' }, '/d', 1, ['x']), RangeError);
});

test('mke2fs: sparse-friendly, exact size in KiB, explicit inode count', () => {
  assert.deepEqual(
    mke2fsArgv({ mke2fs: '/sbin/mke2fs', source: 'merged', file: '/d/.x.tmp', sizeBytes: 1 << 30, inodes: 65536 }),
    [
      '/sbin/mke2fs',
      '-q',
      '-t',
      'ext4',
      '-b',
      '4096',
      '-I',
      '256',
      '-N',
      '65536',
      '-E',
      'assume_storage_prezeroed=1',
      '-L',
      'berth-root',
      '-d',
      'merged',
      '-F',
      '/d/.x.tmp',
      '1048576k',
    ],
  );
  assert.throws(() => mke2fsArgv({ mke2fs: 'm', source: 's', file: 'f', sizeBytes: 1000, inodes: 1 }), RangeError);
});

test('measure: du bytes then inodes', () => {
  assert.deepEqual(measureCommand('/bin/sh', '/usr/bin/du'), [
    '/bin/sh',
    '-c',
    '"/usr/bin/du" -s -B1 merged && "/usr/bin/du" -s --inodes merged',
  ]);
  assert.deepEqual(parseMeasure('2064384\tmerged\n451\tmerged\n'), { bytes: 2064384, inodes: 451 });
  assert.throws(() => parseMeasure('oops'));
  assert.throws(() => parseMeasure('1\tmerged\n'));
});

test('qemu-img create: qcow2 over a raw base, optional size', () => {
  assert.deepEqual(qcow2CreateArgv({ qemuImg: 'qemu-img', base: '/b/base.ext4', overlay: '/e/disk.qcow2' }), [
    'qemu-img',
    'create',
    '-q',
    '-f',
    'qcow2',
    '-F',
    'raw',
    '-b',
    '/b/base.ext4',
    '/e/disk.qcow2',
  ]);
  assert.deepEqual(qcow2CreateArgv({ qemuImg: 'q', base: '/b', overlay: 'o', sizeBytes: 4096 }).slice(-2), [
    'o',
    '4096',
  ]);
  assert.throws(() => qcow2CreateArgv({ qemuImg: 'q', base: 'rel/base', overlay: 'o' }), RangeError);
  assert.deepEqual(qemuImgInfoArgv('q', 'o'), ['q', 'info', '-U', '--output=json', 'o']);
});

test('qemu-img info parsing', () => {
  const info = parseQemuImgInfo(
    JSON.stringify({
      'virtual-size': 1073741824,
      filename: 'o',
      format: 'qcow2',
      'actual-size': 200704,
      'backing-filename': '/b',
      'backing-filename-format': 'raw',
    }),
  );
  assert.deepEqual(info, {
    virtualSize: 1073741824,
    actualSize: 200704,
    format: 'qcow2',
    backingFile: '/b',
    backingFormat: 'raw',
  });
});

test('base names and keys', () => {
  assert.equal(baseFileName(HEX), `${HEX}.ext4`);
  assert.equal(baseFileName(HEX, 4096), `${HEX}-4096.ext4`);
  assert.equal(keyOfBaseFile(`${HEX}.ext4`), HEX);
  assert.equal(keyOfBaseFile(`${HEX}-4096.ext4`), HEX);
  assert.equal(keyOfBaseFile(`${HEX}.ext4.json`), undefined);
  assert.equal(keyOfBaseFile(`.${HEX}.ext4.tmp-00`), undefined);
  assert.equal(imageKey({ digest: `sha256:${HEX}`, layers: [] }), HEX);
});
