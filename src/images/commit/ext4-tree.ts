/**
 * An ext4 image's directory tree and raw inodes, read as a normal user with debugfs (no mount):
 * one `debugfs -f -` run per directory depth (`ls -p <INO>` for every directory of that depth), then
 * one run of `imap` for every inode, whose raw bytes are read from the file at the place imap names.
 * `dumpInodes` copies files' contents out by inode number (no path quoting). ADR 0058.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { DiskError } from '../../core/errors.js';
import { diskTool } from '../../host/disk-tools.js';
import type { HostUser } from '../../host/uml-host-user.js';
import { runWithFds } from '../../host/run-with-fds.js';

export const ROOT_INO = 2;

export interface DirEntry {
  name: string;
  ino: number;
  /** st_mode as debugfs lists it (type and permission bits). */
  mode: number;
}

export interface Ext4Tree {
  /** Directory inode -> its entries (without . and ..), sorted by name. */
  dirs: Map<number, DirEntry[]>;
  /** Inode number -> its raw on-disk bytes. */
  inodes: Map<number, Buffer>;
  /** Names debugfs could not list unambiguously (a newline in the name). */
  unreadable: string[];
}

export const isDir = (mode: number) => (mode & 0o170000) === 0o040000;

/** `debugfs: ls -p <INO>` sections -> entries per directory inode (pure). */
export function parseListing(out: string): { dirs: Map<number, DirEntry[]>; odd: string[] } {
  const dirs = new Map<number, DirEntry[]>();
  const odd: string[] = [];
  let current: DirEntry[] | undefined;
  for (const line of out.split('\n')) {
    const head = /^debugfs: ls -p <(\d+)>$/.exec(line);
    if (head) {
      current = [];
      dirs.set(Number(head[1]), current);
      continue;
    }
    if (!current || line === '') continue;
    // /INO/MODE/UID/GID/NAME/SIZE/ : NAME cannot hold '/', but may hold anything else.
    const m = /^\/(\d+)\/([0-7]+)\/\d+\/\d+\/(.*)\/\d*\/$/.exec(line);
    if (!m) {
      odd.push(line);
      continue;
    }
    const name = m[3]!;
    if (name === '.' || name === '..' || m[1] === '0') continue; // ino 0: an unused slot (lost+found)
    current.push({ ino: Number(m[1]), mode: Number.parseInt(m[2]!, 8), name });
  }
  for (const list of dirs.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { dirs, odd };
}

/** `imap` output -> inode -> [block, byte offset in the block] (pure). */
export function parseImap(out: string): Map<number, [number, number]> {
  const at = new Map<number, [number, number]>();
  let ino: number | undefined;
  for (const line of out.split('\n')) {
    const i = /^Inode (\d+) is part of block group/.exec(line);
    if (i) ino = Number(i[1]);
    const l = /located at block (\d+), offset 0x([0-9a-f]+)/.exec(line);
    if (l && ino !== undefined) {
      at.set(ino, [Number(l[1]), Number.parseInt(l[2]!, 16)]);
      ino = undefined;
    }
  }
  return at;
}

/**
 * Who parses a disk the guest wrote (ADR 0058, "a hostile guest's disk"): as root, the
 * environment's own unprivileged identity (the one a root uml kernel runs as, ADR 0046), never
 * root. It is handed the image (and the directory `dump` writes into) as open file descriptors,
 * /proc/self/fd/3 and /proc/self/fd/4, so that it needs no way through the store's 0700 dirs.
 */
export type Sandbox = HostUser;

/** The path a command names `dir/name` by: through fd 4 in a sandbox. */
const outPath = (dir: string, name: string, as?: Sandbox) => (as ? `/proc/self/fd/4/${name}` : join(dir, name));

async function debugfs(file: string, commands: string[], as?: Sandbox, outDir?: string): Promise<string> {
  const fds: number[] = [];
  try {
    if (as) {
      fds.push(openSync(file, 'r'));
      if (outDir) fds.push(openSync(outDir, constants.O_RDONLY | constants.O_DIRECTORY));
    }
    // Commands on stdin (-f -): nothing to write where the sandbox could not read it.
    const r = await runWithFds([diskTool('debugfs'), '-f', '-', as ? '/proc/self/fd/3' : file], {
      input: `${commands.join('\n')}\n`,
      ...(as ? { uid: as.uid, gid: as.gid, fds } : {}),
    });
    if (r.code !== 0) {
      throw new DiskError('debugfs-failed', `debugfs on ${file} failed: ${r.stderr.trim().split('\n').at(-1)}`, {
        fix: 'check the disk with e2fsck -n',
      });
    }
    return r.stdout;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Block size and inode size from the superblock (at byte 1024). */
function superblock(fd: number): { blockSize: number; inodeSize: number } {
  const sb = Buffer.alloc(1024);
  readSync(fd, sb, 0, 1024, 1024);
  if (sb.readUInt16LE(0x38) !== 0xef53)
    throw new DiskError('not-ext4', 'the disk holds no ext4 file system', { fix: 'recreate the environment' });
  return { blockSize: 1024 << sb.readUInt32LE(0x18), inodeSize: sb.readUInt16LE(0x58) };
}

export async function readExt4Tree(file: string, as?: Sandbox): Promise<Ext4Tree> {
  const dirs = new Map<number, DirEntry[]>();
  const unreadable: string[] = [];
  let level = [ROOT_INO];
  while (level.length > 0) {
    const got = parseListing(
      await debugfs(
        file,
        level.map((i) => `ls -p <${i}>`),
        as,
      ),
    );
    unreadable.push(...got.odd);
    const next: number[] = [];
    for (const [ino, list] of got.dirs) {
      dirs.set(ino, list);
      for (const e of list) if (isDir(e.mode) && !dirs.has(e.ino)) next.push(e.ino);
    }
    level = next;
  }
  const all = new Set<number>([ROOT_INO]);
  for (const list of dirs.values()) for (const e of list) all.add(e.ino);
  const places = parseImap(
    await debugfs(
      file,
      [...all].map((i) => `imap <${i}>`),
      as,
    ),
  );
  const inodes = new Map<number, Buffer>();
  const fd = openSync(file, 'r');
  try {
    const { blockSize, inodeSize } = superblock(fd);
    for (const [ino, [block, offset]] of places) {
      const raw = Buffer.alloc(inodeSize);
      readSync(fd, raw, 0, inodeSize, block * blockSize + offset);
      inodes.set(ino, raw);
    }
  } finally {
    closeSync(fd);
  }
  return { dirs, inodes, unreadable };
}

/** Copy the contents of `inos` out of the image into `dir/<ino>` (one debugfs run). */
export async function dumpInodes(file: string, inos: number[], dir: string, as?: Sandbox): Promise<void> {
  if (inos.length === 0) return;
  await debugfs(
    file,
    inos.map((i) => `dump <${i}> "${outPath(dir, String(i), as)}"`),
    as,
    dir,
  );
}
