/**
 * Read an environment's log, optionally following it until the environment exits.
 *
 * The shim may rotate the log (`--log-max-size`/`--log-max-files`, native/README.md):
 * ctr.log is the newest file, ctr.log.1 the one before it, ... ctr.log.(N-1) the oldest.
 * Rotation renames files (and for a moment ctr.log and ctr.log.1 are the same inode), so
 * files are told apart by inode, never by name alone.
 */
import { openSync, readSync, closeSync, fstatSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvStore } from '../core/env-store.js';
import { parseCriLine, sinceRecords, tailRecords, type LogRecord } from '../core/cri-log.js';

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines (negative or undefined: all). */
  tail?: number;
  /** Only records written at or after this time (applied before `tail`, as Docker does). */
  since?: Date;
  pollMs?: number;
  /** Stop following when this aborts. */
  signal?: AbortSignal;
}

/** What readLogs needs of the store (an EnvStore, or a stand-in in tests). */
export type LogStore = Pick<EnvStore, 'dirOf' | 'status'>;

const LOG = 'ctr.log';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogFile { path: string; ino: number; mtimeNs: bigint }

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

function parseLines(text: string): LogRecord[] {
  return text.split('\n').map(parseCriLine).filter((r): r is LogRecord => r !== undefined);
}

/**
 * One rotated file read to its end (it is complete). Found by inode: when a rotation renamed
 * it since it was listed, it is looked up again once. [] when it is gone.
 */
function readRotated(dir: string, f: LogFile, retry = true): LogRecord[] {
  let reader: FdReader | undefined;
  try {
    reader = new FdReader(openSync(f.path, 'r'));
  } catch {
    // renamed away or dropped
  }
  try {
    if (reader?.ino === f.ino) return [...reader.read(), ...reader.flush()];
  } finally {
    reader?.close();
  }
  const moved = retry ? rotatedLogFiles(dir).find((g) => g.ino === f.ino) : undefined;
  return moved ? readRotated(dir, moved, false) : [];
}

/** Complete lines appended to one open file. */
class FdReader {
  private pos = 0;
  private rest = '';
  readonly ino: number;

  constructor(private readonly fd: number) {
    this.ino = fstatSync(fd).ino;
  }

  mtimeNs(): bigint {
    return fstatSync(this.fd, { bigint: true }).mtimeNs;
  }

  /** Complete lines appended since the last call. */
  read(): LogRecord[] {
    const out: LogRecord[] = [];
    for (;;) {
      const size = fstatSync(this.fd).size;
      if (size <= this.pos) return out;
      const buf = Buffer.alloc(Math.min(size - this.pos, 1 << 20));
      const n = readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n === 0) return out;
      this.pos += n;
      const lines = (this.rest + buf.subarray(0, n).toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) {
        const r = parseCriLine(l);
        if (r) out.push(r);
      }
    }
  }

  /** Whatever is left after the last newline (the file will not grow any more). */
  flush(): LogRecord[] {
    const rest = this.rest;
    this.rest = '';
    return rest ? parseLines(rest) : [];
  }

  /** The file was truncated below what we read. */
  shrunk(): boolean {
    return fstatSync(this.fd).size < this.pos;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** ctr.log followed across rotations, with the rotated files read first. */
class RotatingLog {
  private cur: FdReader | undefined;
  private readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, LOG);
  }

  private open(): FdReader | undefined {
    try {
      return new FdReader(openSync(this.path, 'r'));
    } catch {
      return undefined;
    }
  }

  /** Everything kept, oldest first. */
  first(): LogRecord[] {
    // ctr.log first, so that a rotation right now cannot make us skip its content: if it
    // has already become ctr.log.1, that name is skipped below and next() notices.
    this.cur = this.open();
    const older = rotatedLogFiles(this.dir).filter((f) => f.ino !== this.cur?.ino);
    const out: LogRecord[] = [];
    for (const f of older) out.push(...readRotated(this.dir, f));
    if (this.cur) out.push(...this.cur.read());
    return out;
  }

  /** Records written since the last call, across any rotations in between. */
  next(): LogRecord[] {
    if (!this.cur) {
      this.cur = this.open();
      return this.cur ? this.cur.read() : [];
    }
    const out = this.cur.read();
    let ino: number | undefined;
    try {
      ino = statSync(this.path).ino;
    } catch {
      ino = undefined; // between a rename and the new file (only without hard links)
    }
    if (ino === undefined || ino === this.cur.ino) {
      if (this.cur.shrunk()) {
        // truncated in place: start over at its beginning
        this.cur.close();
        this.cur = this.open();
        if (this.cur) out.push(...this.cur.read());
      }
      return out;
    }
    // Rotated: the monitor finished this file before renaming it; drain it, then read the
    // files rotated after it (several rotations may have happened since the last poll),
    // then the new ctr.log from its start.
    // The old fd stays open until the listing is done, so that its inode number cannot be
    // reused by a file created meanwhile.
    const old = this.cur;
    out.push(...old.read(), ...old.flush());
    const oldMtime = old.mtimeNs();
    this.cur = this.open();
    const rotated = rotatedLogFiles(this.dir).filter((f) => f.ino !== this.cur?.ino);
    const at = rotated.findIndex((f) => f.ino === old.ino);
    old.close();
    // Not found: our file was dropped already, so the rotated files written since are newer
    // (the mtime check leaves out leftovers of a run that kept more files). When the
    // writer rotates faster than we poll, files dropped in between are lost (as in Docker).
    const newer = at >= 0 ? rotated.slice(at + 1) : rotated.filter((f) => f.mtimeNs >= oldMtime);
    for (const f of newer) out.push(...readRotated(this.dir, f));
    if (this.cur) out.push(...this.cur.read());
    return out;
  }

  close(): void {
    this.cur?.close();
    this.cur = undefined;
  }
}

export async function* readLogs(store: LogStore, id: string, opts: LogOptions = {}): AsyncGenerator<LogRecord> {
  const log = new RotatingLog(store.dirOf(id));
  const since = opts.since;
  const filter = (rs: LogRecord[]) => (since ? sinceRecords(rs, since) : rs);
  try {
    const first = filter(log.first());
    yield* opts.tail !== undefined ? tailRecords(first, opts.tail) : first;
    if (!opts.follow) return;
    while (!opts.signal?.aborted) {
      const running = store.status(id).state === 'running';
      const more = log.next();
      yield* filter(more);
      if (!running && more.length === 0) {
        // One last drain: the monitor writes exit.json after its final log write.
        yield* filter(log.next());
        return;
      }
      if (more.length === 0) await sleep(opts.pollMs ?? 100);
    }
  } finally {
    log.close();
  }
}
