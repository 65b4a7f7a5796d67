/**
 * Appends CRI log records (src/core/cri-log.ts) from TypeScript, as the native monitor does:
 * one record per line, a full line is `F`, a chunk that ended mid-line is `P`; the file is
 * size-capped and rotated FILE -> FILE.1 -> ... (readers tell files apart by inode).
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Stream } from '../../core/cri-log.js';

/** RFC3339 with nine fraction digits (the CRI format); sub-millisecond digits from hrtime. */
export function criTime(now = Date.now(), hr = process.hrtime.bigint()): string {
  const iso = new Date(now).toISOString(); // 2026-11-27T00:00:00.123Z
  const sub = String(hr % 1_000_000n).padStart(6, '0');
  return `${iso.slice(0, 23)}${sub}Z`;
}

/** The records for one chunk of output (pure). */
export function criRecords(stream: Stream, chunk: string, time: string): string {
  let out = '';
  const lines = chunk.split('\n');
  const last = lines.pop()!;
  for (const l of lines) out += `${time} ${stream} F ${l}\n`;
  if (last !== '') out += `${time} ${stream} P ${last}\n`;
  return out;
}

export class CriWriter {
  private fd: number;
  private size: number;

  constructor(private readonly path: string, private readonly maxBytes = 0, private readonly maxFiles = 1) {
    this.fd = openSync(path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(stream: Stream, data: Buffer | string): void {
    const text = criRecords(stream, typeof data === 'string' ? data : data.toString('utf8'), criTime());
    if (text === '') return;
    const buf = Buffer.from(text);
    if (this.maxBytes > 0 && this.size > 0 && this.size + buf.length > this.maxBytes) this.rotate();
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      if (i === this.maxFiles - 1 && existsSync(`${this.path}.${i}`)) rmSync(`${this.path}.${i}`, { force: true });
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
    }
    if (this.maxFiles <= 1) rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
