/**
 * The CRI log format the native monitor writes, one record per line:
 *   2026-11-26T21:49:12.123456789Z stdout F text
 * (F: a full line, P: a partial chunk that did not end with a newline).
 * The text is whatever bytes the command wrote (any bytes but a newline): records keep them
 * exactly in `data`; `text` is their UTF-8 decoding, for convenience (not byte-exact).
 */
export type Stream = 'stdout' | 'stderr';

/** A record parsed from text (the timestamp, stream and tag are ASCII). */
export interface CriLine {
  time: string;
  stream: Stream;
  partial: boolean;
  text: string;
}

export interface LogRecord extends CriLine {
  /** The bytes the command wrote, exactly (without the newline of a full record). */
  data: Buffer;
}

export function parseCriLine(line: string): CriLine | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, partial: tag === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

const SPACE = 0x20;

/** One record from the bytes of one line (without its newline); `data` is a view into `line`. */
export function parseCriBytes(line: Buffer): LogRecord | undefined {
  const a = line.indexOf(SPACE);
  const b = a < 0 ? -1 : line.indexOf(SPACE, a + 1);
  if (b < 0) return undefined;
  const c = line.indexOf(SPACE, b + 1);
  const stream = line.toString('latin1', a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line.toString('latin1', b + 1, c < 0 ? line.length : c);
  const data = c < 0 ? line.subarray(line.length) : line.subarray(c + 1);
  return { time: line.toString('latin1', 0, a), stream, partial: tag === 'P', text: data.toString('utf8'), data };
}

/** The text the command wrote for one record: full lines get their newline back (UTF-8 decoded). */
export function recordText(r: Pick<CriLine, 'partial' | 'text'>): string {
  return r.partial ? r.text : `${r.text}\n`;
}

const NEWLINE = Buffer.from('\n');

/** The bytes the command wrote for one record, exactly: full lines get their newline back. */
export function recordBytes(r: Pick<LogRecord, 'partial' | 'data'>): Buffer {
  return r.partial ? r.data : Buffer.concat([r.data, NEWLINE]);
}

/** Keep the last `n` lines (a line may span several partial records). */
export function tailRecords<T extends Pick<CriLine, 'partial'>>(records: T[], n: number): T[] {
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

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
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
export function sinceRecords<T extends Pick<CriLine, 'time'>>(records: T[], since: Date): T[] {
  const keep = sinceFilter(since);
  return records.filter(keep);
}

/** Whether a record was written at or after `since` (an unreadable time: no). */
export function sinceFilter(since: Date): (r: Pick<CriLine, 'time'>) => boolean {
  const limit = BigInt(since.getTime()) * 1_000_000n;
  return (r) => {
    const t = rfc3339Nanos(r.time);
    return t !== undefined && t >= limit;
  };
}
