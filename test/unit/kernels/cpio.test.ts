import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { writeCpio, CpioError } from '../../../src/kernels/cpio.js';
import { requireThat } from '../../helpers/requirements.js';

const hasCpio = spawnSync('cpio', ['--version']).status === 0;

const ENTRIES = [
  { type: 'file' as const, path: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { type: 'file' as const, path: 'lib/modules/virtio.ko', data: Buffer.alloc(4099, 7) },
  { type: 'file' as const, path: 'etc/berth/modules', data: Buffer.from('virtio.ko\n') },
  { type: 'file' as const, path: 'empty', data: Buffer.alloc(0) },
  { type: 'dir' as const, path: 'proc' },
  { type: 'symlink' as const, path: 'bin/sh', target: '/init' },
  { type: 'chardev' as const, path: 'dev/console', major: 5, minor: 1 },
];

test('cpio newc: GNU cpio lists every entry, parents first', (t) => {
  if (!requireThat(t, hasCpio, 'cpio (apt-get install cpio)')) return;
  const r = spawnSync('cpio', ['-t', '--quiet'], { input: writeCpio(ENTRIES) });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(r.stdout.toString().trim().split('\n'), [
    'init',
    'lib',
    'lib/modules',
    'lib/modules/virtio.ko',
    'etc',
    'etc/berth',
    'etc/berth/modules',
    'empty',
    'proc',
    'bin',
    'bin/sh',
    'dev',
    'dev/console',
  ]);
  const long = spawnSync('cpio', ['-t', '-v', '--quiet'], { input: writeCpio(ENTRIES) }).stdout.toString();
  assert.match(long, /^crw-------\s+1 root\s+root\s+5,\s+1 .* dev\/console$/m);
});

test('cpio newc: extracting gives back bytes, modes and link targets', (t) => {
  if (!requireThat(t, hasCpio, 'cpio (apt-get install cpio)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'berth-cpio-'));
  try {
    const r = spawnSync('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames'], {
      input: writeCpio(ENTRIES.filter((e) => e.type !== 'chardev')),
      cwd: dir,
    });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(join(dir, 'init'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(statSync(join(dir, 'init')).mode & 0o777, 0o755);
    assert.deepEqual(readFileSync(join(dir, 'lib/modules/virtio.ko')), Buffer.alloc(4099, 7));
    assert.equal(statSync(join(dir, 'lib/modules/virtio.ko')).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, 'empty')).size, 0);
    assert.ok(statSync(join(dir, 'proc')).isDirectory());
    assert.equal(readlinkSync(join(dir, 'bin/sh')), '/init');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cpio newc: header layout, 4-byte alignment and the trailer', () => {
  const buf = writeCpio([{ type: 'file', path: 'a', data: Buffer.from('xyz') }]);
  assert.equal(buf.toString('latin1', 0, 6), '070701');
  assert.equal(buf.length % 4, 0);
  // name "a\0" ends at 112, padded to 112; data 3 bytes padded to 4
  assert.equal(buf.toString('latin1', 110, 111), 'a');
  assert.equal(buf.toString('latin1', 112, 115), 'xyz');
  assert.ok(buf.toString('latin1').includes('TRAILER!!!\0'));
  assert.deepEqual(writeCpio([{ type: 'file', path: 'a', data: Buffer.from('xyz') }]), buf, 'deterministic');
});

test('cpio newc: refuses escaping paths and duplicates', () => {
  assert.throws(() => writeCpio([{ type: 'file', path: '../etc/passwd', data: Buffer.alloc(1) }]), CpioError);
  assert.throws(() => writeCpio([{ type: 'file', path: '/', data: Buffer.alloc(1) }]), CpioError);
  assert.throws(
    () =>
      writeCpio([
        { type: 'file', path: 'a', data: Buffer.alloc(1) },
        { type: 'file', path: './a', data: Buffer.alloc(1) },
      ]),
    /duplicate/,
  );
  assert.throws(
    () =>
      writeCpio([
        { type: 'file', path: 'a', data: Buffer.alloc(1) },
        { type: 'file', path: 'a/b', data: Buffer.alloc(1) },
      ]),
    /both a directory/,
  );
});
