/**
 * `berth stats` as Docker prints it, from the library's raw readings: CPU % from two readings
 * (the CPU time between them over the time between; 100% = one CPU), memory usage / limit (the
 * host's memory when there is no limit) and %, NET I/O and BLOCK I/O in decimal units, PIDS. Pure.
 */
import { shortId, type EnvStats } from '../index.js';

export const STATS_HEADERS = ['ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

type Reading = Pick<EnvStats, 'cpuUsageNs' | 'readAtMs'>;

/** CPU % between two readings; null when either lacks CPU time or no time passed. */
export function cpuPercent(prev: Reading | undefined, cur: Reading): number | null {
  if (!prev || prev.cpuUsageNs === null || cur.cpuUsageNs === null) return null;
  const wallNs = (cur.readAtMs - prev.readAtMs) * 1e6;
  if (wallNs <= 0) return null;
  return (Math.max(0, cur.cpuUsageNs - prev.cpuUsageNs) / wallNs) * 100;
}

export function memoryPercent(usage: number | null, limit: number): number | null {
  return usage === null || limit <= 0 ? null : (usage / limit) * 100;
}

function scaled(n: number, base: number, units: string[], precision: number): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${Number(n.toPrecision(precision))}${units[i]}`;
}

/** Binary, 4 significant digits: "1.539MiB" (go-units BytesSize, as docker stats' memory). */
export function bytesSize(n: number): string {
  return scaled(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], 4);
}

/** Decimal, 3 significant digits: "1.23kB" (go-units HumanSize, as docker stats' I/O). */
export function humanSize(n: number): string {
  return scaled(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'], 3);
}

const pct = (p: number | null): string => (p === null ? '--' : `${p.toFixed(2)}%`);
const pair = (a: number | null, b: number | null): string =>
  a === null || b === null ? '--' : `${humanSize(a)} / ${humanSize(b)}`;

/** One table row. `hostMemory` stands in for "no limit", as Docker does. */
export function statsRow(
  e: { id: string; name: string },
  cur: EnvStats,
  prev: EnvStats | undefined,
  hostMemory: number,
): string[] {
  const limit = cur.memoryLimitBytes ?? hostMemory;
  return [
    shortId(e.id),
    e.name,
    pct(cpuPercent(prev, cur)),
    cur.memoryBytes === null ? '--' : `${bytesSize(cur.memoryBytes)} / ${bytesSize(limit)}`,
    pct(memoryPercent(cur.memoryBytes, limit)),
    pair(cur.netRxBytes, cur.netTxBytes),
    pair(cur.blockReadBytes, cur.blockWriteBytes),
    cur.pids === null ? '--' : String(cur.pids),
  ];
}
