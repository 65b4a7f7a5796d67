/**
 * Real layer unpacking (root; under CI=true a non-root run fails instead of skipping): a normal
 * layer keeps setuid/owners/links/xattrs; hostile layers are refused with nothing written
 * outside dest and no temp dir left; two layers mount as overlayfs with whiteout and opaque
 * semantics. One rootless run as the unprivileged test user checks the userxattr variant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { requireThat } from '../../helpers/requirements.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { unpackLayer } from '../../../src/images/unpack/index.js';
import { type TarWriteEntry, tarArchive } from '../../../src/images/unpack/tar-writer.js';
import { ImageError } from '../../../src/core/errors.js';

const isRoot = process.geteuid?.() === 0;

function getxattr(p: string, name: string): string | undefined {
  // No getfattr on these hosts: GNU tar lists xattrs it would archive.
  const r = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '--no-recursion', '-cf', '-', '-C', p, '.'], {
    encoding: 'latin1',
  });
  const m = new RegExp(`SCHILY\\.xattr\\.${name.replace(/\./g, '\\.')}=([^\\n]*)\\n`).exec(r.stdout);
  return m?.[1];
}

function workdir(): { base: string; canary: string; dest: string } {
  const base = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
  const canary = join(base, 'canary');
  mkdirSync(canary);
  return { base, canary, dest: join(base, 'layers', 'l1') };
}

function assertClean(base: string, canary: string): void {
  assert.deepEqual(readdirSync(canary), [], 'nothing written into the canary dir');
  const layers = join(base, 'layers');
  assert.deepEqual(readdirSync(layers), [], 'no temp dir or dest left behind');
}

async function refuse(entries: TarWriteEntry[], re: RegExp, end = true): Promise<void> {
  const { base, canary, dest } = workdir();
  mkdirSync(join(base, 'layers'));
  const tar = tarArchive(
    entries.map((e) => ({
      ...e,
      path: e.path.replace('CANARY', canary),
      linkpath: e.linkpath?.replace('CANARY', canary),
    })),
    { end },
  );
  try {
    await assert.rejects(
      unpackLayer({ tarStream: Readable.from([tar]), compression: 'none', dest, rootless: false }),
      (e: unknown) => {
        assert.ok(e instanceof ImageError, String(e));
        assert.match(e.message, re);
        return true;
      },
    );
    assertClean(base, canary);
    assert.ok(!existsSync('/etc/x-berth-evil'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test('normal layer: setuid, owners, symlink, hardlink, dirs, xattrs, fifo, device (root)', async (t) => {
  if (!requireThat(t, isRoot, 'root (chown, mknod, trusted xattrs)')) return;
  const { base, dest } = workdir();
  mkdirSync(join(base, 'layers'));
  try {
    const tar = gzipSync(
      tarArchive([
        { path: './', type: '5', mode: 0o755, mtime: 1_600_000_000 },
        { path: './usr/', type: '5', mode: 0o755, mtime: 1_600_000_001 },
        { path: './usr/bin/', type: '5', mode: 0o755, mtime: 1_600_000_002 },
        {
          path: './usr/bin/su',
          type: '0',
          mode: 0o4755,
          uid: 0,
          gid: 0,
          mtime: 1_600_000_003,
          data: Buffer.from('#!/bin/sh\n'),
        },
        {
          path: './usr/bin/wall',
          type: '0',
          mode: 0o2755,
          uid: 0,
          gid: 5,
          mtime: 1_600_000_004,
          data: Buffer.from('w'),
        },
        {
          path: './usr/bin/ping',
          type: '0',
          mode: 0o755,
          mtime: 1_600_000_005,
          data: Buffer.from('ping'),
          pax: { 'SCHILY.xattr.user.berth': 'v1', 'SCHILY.xattr.trusted.berth': 't1' },
        },
        { path: './tmp/', type: '5', mode: 0o1777, mtime: 1_600_000_006 },
        { path: './home/u/', type: '5', mode: 0o700, uid: 1000, gid: 1000, mtime: 1_600_000_007 },
        {
          path: './home/u/f',
          type: '0',
          mode: 0o640,
          uid: 1000,
          gid: 1000,
          mtime: 1_600_000_008,
          data: Buffer.alloc(70000, 1),
        },
        { path: './bin', type: '2', linkpath: 'usr/bin', mtime: 1_600_000_009 },
        { path: './usr/bin/su2', type: '1', linkpath: './usr/bin/su' },
        { path: './dev/null', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
        { path: './run/fifo', type: '6', mode: 0o600 },
        { path: './etc/', type: '5', mode: 0o755, pax: { 'SCHILY.xattr.user.d': 'dir' } },
      ]),
    );
    const warnings: string[] = [];
    const r = await unpackLayer({
      tarStream: Readable.from([tar]),
      compression: 'auto',
      dest,
      rootless: false,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(r.bytes, 10 + 1 + 4 + 70000);
    assert.equal(r.skippedDevices, 0);
    assert.deepEqual(warnings, []);
    const su = lstatSync(join(dest, 'usr/bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755);
    assert.equal(su.mtimeMs, 1_600_000_003_000);
    const wall = lstatSync(join(dest, 'usr/bin/wall'));
    assert.equal(wall.mode & 0o7777, 0o2755);
    assert.equal(wall.gid, 5);
    assert.equal(lstatSync(join(dest, 'tmp')).mode & 0o7777, 0o1777);
    const home = lstatSync(join(dest, 'home/u'));
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777, home.mtimeMs], [1000, 1000, 0o700, 1_600_000_007_000]);
    assert.equal(lstatSync(join(dest, 'home/u/f')).size, 70000);
    assert.equal(readlinkSync(join(dest, 'bin')), 'usr/bin');
    assert.equal(lstatSync(join(dest, 'bin')).mtimeMs, 1_600_000_009_000);
    assert.equal(lstatSync(join(dest, 'usr/bin/su2')).ino, su.ino);
    const dn = lstatSync(join(dest, 'dev/null'));
    assert.ok(dn.isCharacterDevice());
    assert.equal(dn.rdev, (1 << 8) | 3);
    assert.ok(lstatSync(join(dest, 'run/fifo')).isFIFO());
    assert.equal(lstatSync(join(dest, 'usr')).mtimeMs, 1_600_000_001_000);
    const ping = lstatSync(join(dest, 'usr/bin/ping'));
    assert.equal(ping.mtimeMs, 1_600_000_005_000);
    assert.equal(readFileSync(join(dest, 'usr/bin/ping'), 'utf8'), 'ping');
    const pingX = spawnSync(
      'tar',
      ['--xattrs', '--xattrs-include=*', '-cf', '-', '-C', join(dest, 'usr/bin'), 'ping'],
      { encoding: 'latin1' },
    ).stdout;
    assert.match(pingX, /SCHILY\.xattr\.user\.berth=v1/);
    assert.match(pingX, /SCHILY\.xattr\.trusted\.berth=t1/);
    assert.equal(getxattr(join(dest, 'etc'), 'user.d'), 'dir');
    assert.deepEqual(readdirSync(join(base, 'layers')), ['l1'], 'no temp dir left');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('hostile layers are refused, nothing outside dest, no temp dir left', async (t) => {
  if (!requireThat(t, isRoot, 'root')) return;
  await refuse(
    [
      { path: 'ok', type: '0', data: Buffer.from('x') },
      { path: '../../CANARY/x', type: '0', data: Buffer.from('evil') },
    ],
    /leaves the layer/,
  );
  await refuse([{ path: 'CANARY/x', type: '0', data: Buffer.from('evil') }], /absolute path/);
  await refuse([{ path: '/etc/x-berth-evil', type: '0', data: Buffer.from('evil') }], /absolute path/);
  await refuse(
    [
      { path: 'a', type: '2', linkpath: 'CANARY' },
      { path: 'a/evil', type: '0', data: Buffer.from('evil') },
    ],
    /parent a is a symlink/,
  );
  await refuse(
    [
      { path: 'a', type: '2', linkpath: 'CANARY' },
      { path: 'a/.wh.x', type: '0' },
    ],
    /parent a is a symlink/,
  );
  await refuse([{ path: 'pw', type: '1', linkpath: '/etc/passwd' }], /hardlink pw -> \/etc\/passwd/);
  await refuse([{ path: 'pw', type: '1', linkpath: '../../../../etc/passwd' }], /hardlink/);
  await refuse(
    [
      { path: 'lnk', type: '2', linkpath: '/etc' },
      { path: 'pw', type: '1', linkpath: 'lnk/passwd' },
    ],
    /not a file of this layer/,
  );
  await refuse(
    [
      { path: 'a/', type: '5' },
      { path: 'a/.wh..', type: '0' },
    ],
    /whiteout/,
  );
  await refuse([{ path: '.wh..', type: '0' }], /whiteout/);
  // 10 GB claimed, 1 MiB given, archive ends: must fail fast without allocating 10 GB.
  await refuse([{ path: 'big', type: '0', size: 10 * 1024 ** 3, data: Buffer.alloc(1 << 20, 7) }], /truncated/, false);
  await refuse([{ path: 'big', type: '0', size: 10 * 1024 ** 3 }], /over the 1024-byte limit|truncated/, false);
  // Not a tar at all.
  const { base, canary, dest } = workdir();
  mkdirSync(join(base, 'layers'));
  await assert.rejects(
    unpackLayer({ tarStream: Readable.from([Buffer.alloc(2000, 0x41)]), compression: 'none', dest, rootless: false }),
    /not a valid tar/,
  );
  // Broken zstd is detected and explained; xz is not an OCI layer compression.
  await assert.rejects(
    unpackLayer({
      tarStream: Readable.from([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0])]),
      compression: 'auto',
      dest,
      rootless: false,
    }),
    /zstd data/,
  );
  await assert.rejects(
    unpackLayer({
      tarStream: Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0])]),
      compression: 'auto',
      dest,
      rootless: false,
    }),
    /xz-compressed, which is not accepted/,
  );
  // Size limit.
  await assert.rejects(
    unpackLayer({
      tarStream: Readable.from([tarArchive([{ path: 'f', type: '0', data: Buffer.alloc(2048) }])]),
      compression: 'none',
      dest,
      rootless: false,
      maxFileBytes: 1024,
    }),
    /over the 1024-byte limit/,
  );
  assertClean(base, canary);
  rmSync(base, { recursive: true, force: true });
});

test('two layers as overlayfs: whiteout hides /c, opaque /a shows only the upper content (root)', async (t) => {
  if (!requireThat(t, isRoot, 'root (overlay mount)')) return;
  const { base } = workdir();
  try {
    mkdirSync(join(base, 'layers'));
    const l1 = join(base, 'layers', 'l1');
    const l2 = join(base, 'layers', 'l2');
    await unpackLayer({
      path: writeTar(base, 'l1.tar.gz', [
        { path: 'a/', type: '5' },
        { path: 'a/b/', type: '5' },
        { path: 'a/b/f', type: '0', data: Buffer.from('lower') },
        { path: 'c/', type: '5' },
        { path: 'c/x', type: '0', data: Buffer.from('c') },
        { path: 'keep', type: '0', data: Buffer.from('k') },
      ]),
      compression: 'gzip',
      dest: l1,
      rootless: false,
    });
    await unpackLayer({
      path: writeTar(base, 'l2.tar.gz', [
        { path: '.wh.c', type: '0' },
        { path: 'a/', type: '5' },
        { path: 'a/.wh..wh..opq', type: '0' },
        { path: 'a/new', type: '0', data: Buffer.from('upper') },
      ]),
      compression: 'auto',
      dest: l2,
      rootless: false,
    });
    assert.ok(lstatSync(join(l2, 'c')).isCharacterDevice());
    assert.equal(lstatSync(join(l2, 'c')).rdev, 0);
    assert.equal(getxattr(join(l2, 'a'), 'trusted.overlay.opaque'), 'y');
    const listing = mountAndList(base, `lowerdir=${l2}:${l1}`, false);
    assert.deepEqual(listing, ['/a', '/a/new', '/keep'], listing.join(' '));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('rootless: whiteouts and user.overlay.opaque work with userxattr; owners go to meta.json', async (t) => {
  if (!requireThat(t, isRoot, 'root (to run as the unprivileged test user)')) return;
  const user = ensureTestUser();
  const { base } = workdir();
  try {
    chmodSync(base, 0o777);
    mkdirSync(join(base, 'layers'), { mode: 0o777 });
    chmodSync(join(base, 'layers'), 0o777);
    writeTar(base, 'l1.tar', [
      { path: 'a/', type: '5' },
      { path: 'a/b/', type: '5' },
      { path: 'c/', type: '5' },
      { path: 'c/x', type: '0', data: Buffer.from('c') },
      { path: 'suid', type: '0', mode: 0o4755, uid: 0, gid: 0, data: Buffer.from('s') },
      { path: 'dev/null', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
    ]);
    writeTar(base, 'l2.tar', [
      { path: '.wh.c', type: '0' },
      { path: 'a/.wh..wh..opq', type: '0' },
      { path: 'a/new', type: '0', data: Buffer.from('u') },
    ]);
    const mod = new URL('../../../src/images/unpack/index.js', import.meta.url).href;
    const script = `const { unpackLayer } = await import(${JSON.stringify(mod)});
      const w = []; const base = ${JSON.stringify(base)};
      const r1 = await unpackLayer({ path: base + '/l1.tar', compression: 'none', dest: base + '/layers/l1', rootless: true, onWarning: (m) => w.push(m) });
      const r2 = await unpackLayer({ path: base + '/l2.tar', compression: 'auto', dest: base + '/layers/l2', rootless: true });
      console.log(JSON.stringify({ r1, r2, w }));`;
    const r = spawnSync(
      'setpriv',
      [
        `--reuid=${user.uid}`,
        `--regid=${user.gid}`,
        '--clear-groups',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { r1: { skippedDevices: number }; w: string[] };
    assert.equal(out.r1.skippedDevices, 1);
    assert.match(out.w.join('\n'), /skipped device node dev\/null/);
    const meta = JSON.parse(readFileSync(join(base, 'layers', 'l1.meta.json'), 'utf8'));
    assert.deepEqual(meta.entries.suid, { type: 'file', mode: 0o4755, uid: 0, gid: 0 });
    assert.equal(meta.entries['dev/null'].skipped, true);
    assert.equal(lstatSync(join(base, 'layers/l1/suid')).uid, user.uid);
    assert.equal(getxattr(join(base, 'layers/l2/a'), 'user.overlay.opaque'), 'y');
    const listing = mountAndList(base, `lowerdir=${base}/layers/l2:${base}/layers/l1,userxattr`, true, user.uid);
    assert.deepEqual(listing, ['/a', '/a/new', '/dev', '/suid'], listing.join(' '));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

function writeTar(base: string, name: string, entries: TarWriteEntry[]): string {
  const p = join(base, name);
  const tar = tarArchive(entries);
  writeFileSync(p, name.endsWith('.gz') ? gzipSync(tar) : tar, { mode: 0o644 });
  return p;
}

/** Mount a read-only overlay in a private mount namespace (a child process) and list it. */
function mountAndList(base: string, opts: string, rootless: boolean, uid?: number): string[] {
  const m = join(base, 'merged');
  mkdirSync(m, { recursive: true });
  chmodSync(m, 0o777);
  const sh = `mount -t overlay overlay -o "$1" "$2" && cd "$2" && find . -mindepth 1 | sort && cd / && umount "$2"`;
  const cmd = rootless
    ? [
        'setpriv',
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        'unshare',
        '-Urm',
        'sh',
        '-c',
        sh,
        'sh',
        opts,
        m,
      ]
    : ['unshare', '-m', '--propagation', 'private', 'sh', '-c', sh, 'sh', opts, m];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.slice(1));
}
