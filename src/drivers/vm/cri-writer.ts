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

/**
 * The records for one chunk of output (pure), as bytes: the command's bytes are kept exactly
 * (invalid UTF-8, or a character split between two chunks, are not decoded).
 */
export function criRecordBytes(stream: Stream, chunk: Buffer, time: string): Buffer {
  const parts: Buffer[] = [];
  const full = Buffer.from(`${time} ${stream} F `);
  let start = 0;
  for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
    parts.push(full, chunk.subarray(start, nl + 1));
    start = nl + 1;
  }
  if (start < chunk.length) parts.push(Buffer.from(`${time} ${stream} P `), chunk.subarray(start), Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** The records for one chunk of text (pure). */
export function criRecords(stream: Stream, chunk: string, time: string): string {
  return criRecordBytes(stream, Buffer.from(chunk), time).toString('utf8');
}

export class CriWriter {
  private fd: number;
  private size: number;

  constructor(
    private readonly path: string,
    private readonly maxBytes = 0,
    private readonly maxFiles = 1,
  ) {
    this.fd = openSync(path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(stream: Stream, data: Buffer | string): void {
    const buf = criRecordBytes(stream, typeof data === 'string' ? Buffer.from(data) : data, criTime());
    if (buf.length === 0) return;
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
