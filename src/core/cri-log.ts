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

/** Defaults the drivers pass to the shim (`--log-max-size`, `--log-max-files`): Docker's 10 MiB, 3 files. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 3;

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC3339 time with up to nanosecond precision as nanoseconds since the epoch (the CRI
 * timestamps have nine fraction digits, more than a Date keeps). undefined when invalid.
 */
export function rfc3339Nanos(time: string): bigint | undefined {
  const m = RFC3339.exec(time);
  if (!m) return undefined;
  const [, date, clock, frac = '', zone] = m;
  const iso = `${date}T${clock}${zone!.toUpperCase()}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: insist the fields were real.
  const back = new Date(ms + (zone === 'Z' || zone === 'z' ? 0 : zoneOffsetMs(zone!)));
  if (back.toISOString().slice(0, 19) !== `${date}T${clock}`) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
}

function zoneOffsetMs(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/**
 * `--since` as Docker takes it: an RFC3339 time (`2026-01-02T15:04:05Z`, fraction and offset
 * optional), a Unix time in seconds (`1767366245`, `1767366245.5`), or a duration before
 * `now` (Go syntax: `10s`, `5m`, `2h`, `1h30m`, `1.5h`, `500ms`). undefined when invalid.
 * Sub-millisecond digits are dropped (a Date has milliseconds).
 */
export function parseSince(s: string, now: number = Date.now()): Date | undefined {
  const v = s.trim();
  if (DURATION.test(v)) {
    let ns = 0;
    for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(n) * UNIT_NS[unit!]!;
    return new Date(now - Math.round(ns / 1e6));
  }
  if (/^\d+(?:\.\d+)?$/.test(v)) return new Date(Math.round(Number(v) * 1000));
  const ns = rfc3339Nanos(v);
  return ns === undefined ? undefined : new Date(Number(ns / 1_000_000n));
}

/** Keep the records written at or after `since` (records with an unreadable time are dropped). */
export function sinceRecords(records: LogRecord[], since: Date): LogRecord[] {
  const limit = BigInt(since.getTime()) * 1_000_000n;
  return records.filter((r) => {
    const t = rfc3339Nanos(r.time);
    return t !== undefined && t >= limit;
  });
}
