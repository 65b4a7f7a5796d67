/**
 * A pid alone can be reused; a pid plus its start time (field 22 of /proc/PID/stat,
 * clock ticks since boot) identifies one process for the life of the host.
 */
import { readFileSync } from 'node:fs';

export function parseStatStartTime(statText: string): number | undefined {
  // comm (field 2) may contain spaces and parens: fields after the last ')'.
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = statText.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19].
  const v = Number(rest[19]);
  return Number.isFinite(v) ? v : undefined;
}

export function parseStatState(statText: string): string | undefined {
  const close = statText.lastIndexOf(')');
  return close < 0 ? undefined : statText.slice(close + 2, close + 3);
}

export function processStartTime(pid: number): number | undefined {
  try {
    return parseStatStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when the process exists, is not a zombie and (if given) started at `start`. */
export function isProcessAlive(pid: number | undefined, start?: number): boolean {
  if (!pid || pid <= 0) return false;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  if (parseStatState(text) === 'Z') return false;
  if (start === undefined) return true;
  return parseStatStartTime(text) === start;
}
