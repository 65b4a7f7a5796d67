/** Read an environment's log, optionally following it until the environment exits. */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvStore } from '../core/env-store.js';
import { parseCriLine, tailRecords, type LogRecord } from '../core/cri-log.js';

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines (negative or undefined: all). */
  tail?: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class LogReader {
  private fd: number | undefined;
  private pos = 0;
  private rest = '';

  constructor(private readonly path: string) {}

  /** Complete lines appended since the last call. */
  read(): LogRecord[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    const size = fstatSync(this.fd).size;
    if (size <= this.pos) return [];
    const buf = Buffer.alloc(size - this.pos);
    const n = readSync(this.fd, buf, 0, buf.length, this.pos);
    this.pos += n;
    const text = this.rest + buf.subarray(0, n).toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map(parseCriLine).filter((r): r is LogRecord => r !== undefined);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

export async function* readLogs(store: EnvStore, id: string, opts: LogOptions = {}): AsyncGenerator<LogRecord> {
  const reader = new LogReader(join(store.dirOf(id), 'ctr.log'));
  try {
    const first = reader.read();
    yield* opts.tail !== undefined ? tailRecords(first, opts.tail) : first;
    if (!opts.follow) return;
    for (;;) {
      const running = store.status(id).state === 'running';
      const more = reader.read();
      yield* more;
      if (!running && more.length === 0) {
        // One last drain: the monitor writes exit.json after its final log write.
        yield* reader.read();
        return;
      }
      if (more.length === 0) await sleep(opts.pollMs ?? 100);
    }
  } finally {
    reader.close();
  }
}
