/**
 * `--tail N` read from the end: the log files, newest first, are read backwards in blocks
 * until N lines are found, so its cost is that of N lines, not of everything kept.
 */
import { readSync } from 'node:fs';
import { parseCriBytes, type LogRecord } from '../core/cri-log.js';

const BLOCK = 64 * 1024;
const NL = 0x0a;

function readAt(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) return buf.subarray(0, got);
    got += n;
  }
  return buf;
}

/** The offset just after the last newline before `end` (0 when there is none). */
export function lineBoundary(fd: number, end: number): number {
  for (let pos = end; pos > 0; pos = Math.max(0, pos - BLOCK)) {
    const start = Math.max(0, pos - BLOCK);
    const nl = readAt(fd, start, pos).lastIndexOf(NL);
    if (nl >= 0) return start + nl + 1;
  }
  return 0;
}

/** The records of bytes [0, end) of a file, last first. A last line without a newline counts. */
export function* backwards(fd: number, end: number): Generator<LogRecord> {
  let pos = end;
  if (pos > 0 && readAt(fd, pos - 1, pos)[0] === NL) pos--;
  let carry: Buffer = Buffer.alloc(0); // the end of a line whose start is in an earlier block
  while (pos > 0) {
    const start = Math.max(0, pos - BLOCK);
    const data = carry.length > 0 ? Buffer.concat([readAt(fd, start, pos), carry]) : readAt(fd, start, pos);
    pos = start;
    let hi = data.length;
    for (let nl = data.lastIndexOf(NL, hi - 1); nl >= 0; nl = hi > 0 ? data.lastIndexOf(NL, hi - 1) : -1) {
      const r = parseCriBytes(data.subarray(nl + 1, hi));
      if (r) yield r;
      hi = nl;
    }
    carry = data.subarray(0, hi);
  }
  const first = carry.length > 0 ? parseCriBytes(carry) : undefined;
  if (first) yield first;
}

/**
 * The last `n` lines of the files (oldest file first; bytes [0, end) of each), oldest record
 * first. A line may span several partial records; an unfinished partial last record ends one.
 * `keep` filters records before they count (--since comes before --tail, as in Docker).
 */
export function tailRecordsOf(
  files: { fd: number; end: number }[],
  n: number,
  keep?: (r: LogRecord) => boolean,
): LogRecord[] {
  const out: LogRecord[] = [];
  let lines = 0;
  let last = true;
  outer: for (let i = files.length - 1; i >= 0; i--) {
    for (const r of backwards(files[i]!.fd, files[i]!.end)) {
      if (keep && !keep(r)) continue;
      const endsLine = !r.partial || last;
      last = false;
      if (endsLine) {
        if (lines === n) break outer;
        lines++;
      }
      out.push(r);
    }
  }
  return out.reverse();
}
