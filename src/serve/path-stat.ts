/**
 * `X-Docker-Container-Path-Stat`: base64 of `{name, size, mode, mtime, linkTarget}` where mode is
 * Go's os.FileMode (type bits high, not the st_mode layout), read from `stat -c` inside.
 */
const S_IFMT = 0o170000;
const GO_TYPE: Record<number, number> = {
  9604: 2 ** 31, // directory
  21609: 2 ** 27, // symlink
  2401: 2 ** 25, // named pipe
  26411: 2 ** 24, // socket
  4802: 2 ** 26 + 2 ** 21, // char device
  14406: 2 ** 26, // block device
};

export function goFileMode(stMode: number): number {
  let m = (GO_TYPE[stMode & S_IFMT] ?? 0) + (stMode & 0o777);
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

export const isDir = (s: PathStat) => s.mode >= 2 ** 31;

export const statHeader = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');
