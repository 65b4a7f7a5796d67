/**
 * The CRI log format the native monitor writes, one record per line:
 *   2026-11-26T21:49:12.123456789Z stdout F text
 * (F: a full line, P: a partial chunk that did not end with a newline).
 */
export type Stream = 'stdout' | 'stderr';

export interface LogRecord {
  time: string;
  stream: Stream;
  partial: boolean;
  text: string;
}

export function parseCriLine(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, partial: tag === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

/** The bytes the command wrote for one record: full lines get their newline back. */
export function recordText(r: LogRecord): string {
  return r.partial ? r.text : `${r.text}\n`;
}

/** Keep the last `n` lines (a line may span several partial records). */
export function tailRecords(records: LogRecord[], n: number): LogRecord[] {
  if (n < 0) return records;
  let lines = 0;
  let i = records.length;
  while (i > 0) {
    // A line ends at a full record, or at the last record when it is an unfinished partial one.
    const endsLine = !records[i - 1]!.partial || i === records.length;
    if (endsLine) {
      if (lines === n) break;
      lines++;
    }
    i--;
  }
  return records.slice(i);
}
