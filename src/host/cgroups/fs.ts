/** Small cgroupfs helpers: optional reads, errno checks, polling. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export function readOpt(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

export function readNumber(dir: string, file: string): number | undefined {
  const t = readOpt(dir, file)?.trim();
  if (t === undefined || t === '' || !/^\d+$/.test(t)) return undefined;
  return Number(t);
}

/** `key value` lines (cpu.stat, memory.events, memory.oom_control, cgroup.events) -> map. */
export function readKeyed(dir: string, file: string): Map<string, string> | undefined {
  const t = readOpt(dir, file);
  if (t === undefined) return undefined;
  const out = new Map<string, string>();
  for (const line of t.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until check() is true or the deadline passes; returns the last check(). */
export async function pollUntil(check: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
