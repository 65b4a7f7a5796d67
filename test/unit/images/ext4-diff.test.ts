/** The VM commit's diff of a base disk and an environment's disk (ADR 0058), on hand-made trees. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffTrees, type LayerChange } from '../../../src/images/commit/ext4-diff.js';
import { dockerChanges, treeHas } from '../../../src/images/commit/ext4-docker-diff.js';
import { type Ext4Tree, parseImap, parseListing } from '../../../src/images/commit/ext4-tree.js';
import { decodeInode, deviceNumbers, fastSymlinkTarget, inodeChanged } from '../../../src/images/commit/ext4-inode.js';

interface Fields {
  mode: number;
  size?: number;
  mtime?: number;
  atime?: number;
  gen?: number;
  uid?: number;
}

function inode(f: Fields): Buffer {
  const b = Buffer.alloc(256);
  b.writeUInt16LE(f.mode, 0x00);
  b.writeUInt16LE((f.uid ?? 0) & 0xffff, 0x02);
  b.writeUInt32LE(f.size ?? 0, 0x04);
  b.writeUInt32LE(f.atime ?? 1, 0x08);
  b.writeUInt32LE(f.mtime ?? 1, 0x10);
  b.writeUInt16LE(1, 0x1a);
  b.writeUInt32LE(f.gen ?? 7, 0x64);
  b.writeUInt16LE(0xbeef, 0x7c); // checksum: differs with the access time
  return b;
}

const DIR = 0o040755;
const FILE = 0o100644;

/** A tree from `{ 'etc/passwd': [ino, fields] }` (root is inode 2; parents must be listed). */
function tree(entries: Record<string, [number, Fields]>): Ext4Tree {
  const dirs = new Map<number, { name: string; ino: number; mode: number }[]>([[2, []]]);
  const inodes = new Map<number, Buffer>([[2, inode({ mode: DIR })]]);
  const inoOf = new Map<string, number>([['', 2]]);
  for (const [path, [ino, f]] of Object.entries(entries)) {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    const name = path.slice(path.lastIndexOf('/') + 1);
    dirs.get(inoOf.get(parent)!)!.push({ name, ino, mode: f.mode });
    inodes.set(ino, inode(f));
    inoOf.set(path, ino);
    if ((f.mode & 0o170000) === 0o040000) dirs.set(ino, []);
  }
  for (const l of dirs.values()) l.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { dirs, inodes, unreadable: [] };
}

const names = (c: LayerChange[]) => c.map((x) => `${x.kind}:${x.rel}`);

const BASE: Record<string, [number, Fields]> = {
  bin: [10, { mode: DIR }],
  'bin/ls': [11, { mode: FILE, size: 10 }],
  'bin/sh': [12, { mode: FILE, size: 10 }],
  etc: [20, { mode: DIR }],
  'etc/passwd': [21, { mode: FILE, size: 5 }],
  'etc/hosts': [22, { mode: FILE, size: 0 }],
  home: [30, { mode: DIR }],
  'home/old': [31, { mode: FILE }],
  lib: [40, { mode: DIR }],
};

describe('diffTrees', () => {
  it('the same disk: no change, even after files were read (access times)', () => {
    const env = tree({ ...BASE, 'bin/sh': [12, { mode: FILE, size: 10, atime: 99 }] });
    assert.deepEqual(diffTrees(tree(BASE), env), []);
  });

  it('added, changed and deleted files: entries and whiteouts with their parents (as an overlay upper dir has them)', () => {
    const { 'bin/ls': _gone, ...rest } = BASE;
    const env = tree({
      ...rest,
      'etc/passwd': [21, { mode: FILE, size: 12, mtime: 50 }],
      new: [50, { mode: DIR }],
      'new/file': [51, { mode: FILE, size: 3 }],
    });
    assert.deepEqual(names(diffTrees(tree(BASE), env)), [
      'entry:bin',
      'whiteout:bin/ls',
      'entry:etc',
      'entry:etc/passwd',
      'entry:new',
      'entry:new/file',
    ]);
  });

  it('a directory removed and made again (new generation) is opaque; a deleted one is one whiteout', () => {
    const { 'home/old': _o, lib: _l, ...rest } = BASE;
    const env = tree({ ...rest, home: [30, { mode: DIR, gen: 8 }], 'home/y': [60, { mode: FILE }] });
    assert.deepEqual(names(diffTrees(tree(BASE), env)), ['entry:home', 'opaque:home', 'entry:home/y', 'whiteout:lib']);
  });

  it("the guest init's files and empty mount points are not content", () => {
    const env = tree({
      ...BASE,
      'etc/hosts': [22, { mode: FILE, size: 40, mtime: 9 }],
      'etc/hostname': [70, { mode: FILE, size: 5 }],
      proc: [71, { mode: DIR }],
      'lib/modules': [72, { mode: DIR }],
      'lib/modules/6.1.0-uml': [73, { mode: DIR }],
      mnt: [74, { mode: DIR }],
      'mnt/data': [75, { mode: DIR }],
    });
    assert.deepEqual(names(diffTrees(tree(BASE), env, { mountTargets: ['/mnt/data'] })), []);
    // Not empty, it is content.
    const full = tree({ ...BASE, proc: [71, { mode: DIR }], 'proc/x': [76, { mode: FILE, size: 1 }] });
    assert.deepEqual(names(diffTrees(tree(BASE), full)), ['entry:proc', 'entry:proc/x']);
  });

  it('a directory whose mode changed is written; a file replaced by a directory is too', () => {
    const env = tree({
      ...BASE,
      lib: [40, { mode: 0o040700 }],
      'bin/sh': [80, { mode: DIR }],
    });
    assert.deepEqual(names(diffTrees(tree(BASE), env)), ['entry:bin', 'entry:bin/sh', 'entry:lib']);
  });
});

describe('dockerChanges (berth diff of a VM environment)', () => {
  it('A for a path the base lacks, C for one it has, D for a whiteout; no line for an opaque marker', () => {
    const { 'bin/ls': _gone, 'home/old': _o, ...rest } = BASE;
    const env = tree({
      ...rest,
      'etc/passwd': [21, { mode: FILE, size: 12, mtime: 50 }],
      home: [30, { mode: DIR, gen: 8 }],
      'home/y': [60, { mode: FILE }],
      'a-b': [61, { mode: FILE }],
      new: [50, { mode: DIR }],
      'new/file': [51, { mode: FILE, size: 3 }],
    });
    const base = tree(BASE);
    assert.deepEqual(
      dockerChanges(diffTrees(base, env), base).map((c) => `${c.kind} ${c.path}`),
      ['A /a-b', 'C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'C /home', 'A /home/y', 'A /new', 'A /new/file'],
    );
  });
  it('a directory comes before what is in it, whatever the byte order of the names', () => {
    const base = tree({ a: [10, { mode: DIR }] });
    const env = tree({ a: [10, { mode: DIR, mtime: 3 }], 'a/x': [11, { mode: FILE }], 'a-b': [12, { mode: FILE }] });
    assert.deepEqual(
      dockerChanges(diffTrees(base, env), base).map((c) => c.path),
      ['/a', '/a/x', '/a-b'],
    );
  });
  it('treeHas walks names from the root', () => {
    const t = tree(BASE);
    assert.equal(treeHas(t, 'etc/passwd'), true);
    assert.equal(treeHas(t, 'etc/shadow'), false);
    assert.equal(treeHas(t, 'home/old/x'), false);
  });
});

describe('debugfs output and raw inodes', () => {
  it('ls -p sections, without . .. and unused slots; names may hold anything but /', () => {
    const out = [
      'debugfs: ls -p <2>',
      '/2/040755/0/0/.//',
      '/2/040755/0/0/..//',
      '/11/040700/0/0/lost+found//',
      '/99/120777/0/0/a b:c/11/',
      'debugfs: ls -p <11>',
      '/0/000000/0/0//0/',
      'garbage',
      '',
    ].join('\n');
    const { dirs, odd } = parseListing(out);
    assert.deepEqual(dirs.get(2), [
      { ino: 99, mode: 0o120777, name: 'a b:c' },
      { ino: 11, mode: 0o040700, name: 'lost+found' },
    ]);
    assert.deepEqual(dirs.get(11), []);
    assert.deepEqual(odd, ['garbage']);
  });

  it('imap places', () => {
    const out = 'debugfs: imap <92>\nInode 92 is part of block group 0\n\tlocated at block 150, offset 0x0b00\n';
    assert.deepEqual([...parseImap(out)], [[92, [150, 0xb00]]]);
  });

  it('decodes owners above 65535, fast symlinks and device numbers; the access time is not a change', () => {
    const b = inode({ mode: 0o120777, size: 8, uid: 0x1234 });
    b.writeUInt16LE(0x0001, 0x78);
    b.write('/bin/sh!', 0x28);
    const i = decodeInode(b);
    assert.equal(i.uid, 0x11234);
    assert.equal(fastSymlinkTarget(i), '/bin/sh!');
    assert.equal(fastSymlinkTarget({ ...i, sectors: 8 }), undefined, 'a slow symlink: its target is in a block');
    const dev = inode({ mode: 0o020666 });
    dev.writeUInt32LE((1 << 8) | 3, 0x28);
    assert.deepEqual(deviceNumbers(decodeInode(dev)), { major: 1, minor: 3 });
    const big = inode({ mode: 0o020666 });
    big.writeUInt32LE((300 & 0xff) | (259 << 8) | ((300 & ~0xff) << 12), 0x2c);
    assert.deepEqual(deviceNumbers(decodeInode(big)), { major: 259, minor: 300 });
    const read = inode({ mode: FILE, atime: 5 });
    read.writeUInt16LE(0x1111, 0x7c);
    assert.equal(inodeChanged(inode({ mode: FILE }), read), false);
    assert.equal(inodeChanged(inode({ mode: FILE }), inode({ mode: FILE, mtime: 2 })), true);
  });
});
