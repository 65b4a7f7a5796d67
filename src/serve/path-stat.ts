/**
 * `X-Docker-Container-Path-Stat`: base64 of `{name, size, mode, mtime, linkTarget}` where mode is
 * Go's os.FileMode (type bits high, not the st_mode layout), read from `stat -c` inside.
 */
import type { InsidePath } from '../index.js';

const S_IFMT = 0o170000;
// A Map, not an object literal: octal numeric keys are easy to mangle.
const GO_TYPE = new Map<number, number>([
  [0o040000, 2 ** 31], // directory
  [0o120000, 2 ** 27], // symlink
  [0o010000, 2 ** 25], // named pipe
  [0o140000, 2 ** 24], // socket
  [0o020000, 2 ** 26 + 2 ** 21], // char device
  [0o060000, 2 ** 26], // block device
]);

export function goFileMode(stMode: number): number {
  let m = (GO_TYPE.get(stMode & S_IFMT) ?? 0) + (stMode & 0o777);
  if (stMode & 0o4000) m += 2 ** 23;
  if (stMode & 0o2000) m += 2 ** 22;
  if (stMode & 0o1000) m += 2 ** 20;
  return m;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Parses `SIZE RAWMODEHEX MTIME` and the link target line the stat script prints. */
export function parseStatOutput(name: string, out: string): PathStat {
  const [first = '', link = ''] = out.split('\n');
  const [size, hex, mtime] = first.trim().split(/\s+/);
  const stMode = Number.parseInt(hex ?? '0', 16);
  return {
    name,
    size: Number(size ?? 0),
    mode: goFileMode(stMode),
    mtime: new Date(Number(mtime ?? 0) * 1000).toISOString(),
    linkTarget: link.trim(),
  };
}

/** The stat the library's copyFrom gives, as Docker's header has it. */
export function pathStatOf(name: string, st: InsidePath): PathStat {
  return {
    name,
    size: st.size,
    mode: goFileMode(st.mode),
    mtime: new Date(st.mtimeSec * 1000).toISOString(),
    linkTarget: st.linkTarget,
  };
}

export const isDir = (s: PathStat) => s.mode >= 2 ** 31;

export const statHeader = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');
