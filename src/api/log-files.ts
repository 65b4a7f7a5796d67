/**
 * The files of an environment's log, read as bytes in bounded batches (never all at once).
 *
 * The shim may rotate the log (`--log-max-size`/`--log-max-files`, native/README.md):
 * ctr.log is the newest file, ctr.log.1 the one before it, ... ctr.log.(N-1) the oldest.
 * Rotation renames files (and for a moment ctr.log and ctr.log.1 are the same inode), so
 * files are told apart by inode, never by name alone.
 */
import { openSync, readSync, closeSync, fstatSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCriBytes, type LogRecord } from '../core/cri-log.js';

export const LOG = 'ctr.log';
/** The most bytes one read takes (a batch of records comes from one read). */
export const CHUNK_BYTES = 1 << 20;
const NL = 0x0a;

export interface LogFile {
  path: string;
  ino: number;
  mtimeNs: bigint;
}

/** The rotated files ctr.log.N, oldest (highest N) first. */
export function rotatedLogFiles(dir: string): LogFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { n: number; file: LogFile }[] = [];
  for (const name of names) {
    const m = /^ctr\.log\.(\d+)$/.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path, { bigint: true });
      out.push({ n: Number(m[1]), file: { path, ino: Number(st.ino), mtimeNs: st.mtimeNs } });
    } catch {
      // rotated away between readdir and stat
    }
  }
  return out.sort((a, b) => b.n - a.n).map((e) => e.file);
}

/** Records of the complete lines in `buf` (each line without its newline). */
export function recordsOf(buf: Buffer): LogRecord[] {
  const out: LogRecord[] = [];
  let start = 0;
  for (let nl = buf.indexOf(NL); nl >= 0; nl = buf.indexOf(NL, start)) {
    const r = parseCriBytes(buf.subarray(start, nl));
    if (r) out.push(r);
    start = nl + 1;
  }
  return out;
}

/** Complete lines appended to one open file, a batch per read. */
export class FdReader {
  /** The offset read up to (the partial last line, `rest`, included). */
  pos = 0;
  private rest: Buffer = Buffer.alloc(0);
  readonly ino: number;

  constructor(readonly fd: number) {
    this.ino = fstatSync(fd).ino;
  }

  static open(path: string): FdReader | undefined {
    try {
      return new FdReader(openSync(path, 'r'));
    } catch {
      return undefined;
    }
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  mtimeNs(): bigint {
    return fstatSync(this.fd, { bigint: true }).mtimeNs;
  }

  /** The complete lines of the next read; undefined at the end of the file. */
  readBatch(): LogRecord[] | undefined {
    const size = this.size();
    if (size <= this.pos) return undefined;
    const buf = Buffer.allocUnsafe(Math.min(size - this.pos, CHUNK_BYTES));
    const n = readSync(this.fd, buf, 0, buf.length, this.pos);
    if (n === 0) return undefined;
    this.pos += n;
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, buf.subarray(0, n)]) : buf.subarray(0, n);
    const end = data.lastIndexOf(NL) + 1;
    this.rest = Buffer.from(data.subarray(end)); // a copy: the chunk need not stay alive for it
    return recordsOf(data.subarray(0, end));
  }

  /** Batches up to the current end of the file. */
  *batches(): Generator<LogRecord[]> {
    for (let b = this.readBatch(); b; b = this.readBatch()) yield b;
  }

  /** Whatever is left after the last newline (the file will not grow any more). */
  flush(): LogRecord[] {
    const rest = this.rest;
    this.rest = Buffer.alloc(0);
    const r = rest.length > 0 ? parseCriBytes(rest) : undefined;
    return r ? [r] : [];
  }

  /** The file was truncated below what we read. */
  shrunk(): boolean {
    return this.size() < this.pos;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * One rotated file, opened by inode: when a rotation renamed it since it was listed, it is
 * looked up again once. undefined when it is gone.
 */
export function openRotated(dir: string, f: LogFile, retry = true): FdReader | undefined {
  const reader = FdReader.open(f.path);
  if (reader?.ino === f.ino) return reader;
  reader?.close();
  const moved = retry ? rotatedLogFiles(dir).find((g) => g.ino === f.ino) : undefined;
  return moved ? openRotated(dir, moved, false) : undefined;
}

/** One rotated file read to its end (it is complete), in batches. Nothing when it is gone. */
export function* rotatedBatches(dir: string, f: LogFile): Generator<LogRecord[]> {
  const reader = openRotated(dir, f);
  if (!reader) return;
  try {
    yield* reader.batches();
    const last = reader.flush();
    if (last.length > 0) yield last;
  } finally {
    reader.close();
  }
}
