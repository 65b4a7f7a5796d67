/**
 * Read an environment's log, optionally following it until the environment exits. Records are
 * streamed in batches of one read each (log-files.ts), never gathered all at once; `tail` reads
 * the files backwards from their ends (log-tail.ts). Records keep the command's bytes exactly
 * (`data`; cri-log.ts).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvStore } from '../core/env-store.js';
import { sinceFilter, type LogRecord } from '../core/cri-log.js';
import { LOG, FdReader, openRotated, rotatedBatches, rotatedLogFiles, type LogFile } from './log-files.js';
import { lineBoundary, tailRecordsOf } from './log-tail.js';

export { rotatedLogFiles } from './log-files.js';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ctr.log followed across rotations, with the rotated files read first. */
class RotatingLog {
  private cur: FdReader | undefined;
  private readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, LOG);
  }

  /** Everything kept, oldest first. */
  *first(): Generator<LogRecord[]> {
    // ctr.log first, so that a rotation right now cannot make us skip its content: if it
    // has already become ctr.log.1, that name is skipped below and next() notices.
    this.cur = FdReader.open(this.path);
    const older = rotatedLogFiles(this.dir).filter((f) => f.ino !== this.cur?.ino);
    for (const f of older) yield* rotatedBatches(this.dir, f);
    if (this.cur) yield* this.cur.batches();
  }

  /** The last n lines kept (`keep` filters first), read from the ends of the files; next() goes on after them. */
  tail(n: number, keep?: (r: LogRecord) => boolean): LogRecord[] {
    this.cur = FdReader.open(this.path);
    const older = rotatedLogFiles(this.dir).filter((f) => f.ino !== this.cur?.ino);
    const readers = older.map((f) => openRotated(this.dir, f)).filter((r): r is FdReader => r !== undefined);
    try {
      const files = readers.map((r) => ({ fd: r.fd, end: r.size() }));
      if (this.cur) {
        // Up to the last complete line: a record being written is left to next().
        this.cur.pos = lineBoundary(this.cur.fd, this.cur.size());
        files.push({ fd: this.cur.fd, end: this.cur.pos });
      }
      return tailRecordsOf(files, n, keep);
    } finally {
      for (const r of readers) r.close();
    }
  }

  /** Records written since the last call, across any rotations in between. */
  *next(): Generator<LogRecord[]> {
    if (!this.cur) {
      this.cur = FdReader.open(this.path);
      if (this.cur) yield* this.cur.batches();
      return;
    }
    yield* this.cur.batches();
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
        this.cur = FdReader.open(this.path);
        if (this.cur) yield* this.cur.batches();
      }
      return;
    }
    // Rotated: the monitor finished this file before renaming it; drain it, then read the
    // files rotated after it (several rotations may have happened since the last poll),
    // then the new ctr.log from its start.
    // The old fd stays open until the listing is done, so that its inode number cannot be
    // reused by a file created meanwhile.
    const old = this.cur;
    this.cur = undefined;
    let newer: LogFile[];
    try {
      yield* old.batches();
      const rest = old.flush();
      if (rest.length > 0) yield rest;
      const oldMtime = old.mtimeNs();
      this.cur = FdReader.open(this.path);
      const rotated = rotatedLogFiles(this.dir).filter((f) => f.ino !== this.cur?.ino);
      const at = rotated.findIndex((f) => f.ino === old.ino);
      // Not found: our file was dropped already, so the rotated files written since are newer
      // (the mtime check leaves out leftovers of a run that kept more files). When the
      // writer rotates faster than we poll, files dropped in between are lost (as in Docker).
      newer = at >= 0 ? rotated.slice(at + 1) : rotated.filter((f) => f.mtimeNs >= oldMtime);
    } finally {
      old.close();
    }
    for (const f of newer) yield* rotatedBatches(this.dir, f);
    if (this.cur) yield* this.cur.batches();
  }

  close(): void {
    this.cur?.close();
    this.cur = undefined;
  }
}

/** The log in batches of records (each from one read of at most 1 MiB), oldest first. */
export async function* readLogBatches(store: LogStore, id: string, opts: LogOptions = {}): AsyncGenerator<LogRecord[]> {
  const log = new RotatingLog(store.dirOf(id));
  const keep = opts.since ? sinceFilter(opts.since) : undefined;
  const filter = (b: LogRecord[]) => (keep ? b.filter(keep) : b);
  try {
    if (opts.tail !== undefined && opts.tail >= 0) {
      const last = log.tail(opts.tail, keep);
      if (last.length > 0) yield last;
    } else {
      for (const b of log.first()) {
        const kept = filter(b);
        if (kept.length > 0) yield kept;
      }
    }
    if (!opts.follow) return;
    while (!opts.signal?.aborted) {
      // A paused environment has not ended: its command writes again once unpaused (docker logs -f).
      const state = store.status(id).state;
      const ongoing = state === 'running' || state === 'paused';
      let more = false;
      for (const b of log.next()) {
        more ||= b.length > 0;
        const kept = filter(b);
        if (kept.length > 0) yield kept;
      }
      if (!ongoing && !more) {
        // One last drain: the monitor writes exit.json after its final log write.
        for (const b of log.next()) {
          const kept = filter(b);
          if (kept.length > 0) yield kept;
        }
        return;
      }
      if (!more) await sleep(opts.pollMs ?? 100);
    }
  } finally {
    log.close();
  }
}

/** The log record by record, oldest first (see readLogBatches). */
export async function* readLogs(store: LogStore, id: string, opts: LogOptions = {}): AsyncGenerator<LogRecord> {
  for await (const batch of readLogBatches(store, id, opts)) yield* batch;
}
