/**
 * Every host process of one VM: the monitor (its argv names the state dir) and the kernel's
 * processes (their argv names the COW file in it). A uml kernel starts its own session, so
 * one process group does not hold them all; finding them by argv does, even after the
 * kernel process itself died and left its userspace processes orphaned.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

/** SIGKILL them all; resolves once none is left (zombies count as gone) or after `timeoutMs`. */
export async function killProcessesMentioning(needle: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = processesMentioning(needle).filter((p) => {
      try {
        return !/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });
    if (alive.length === 0 || Date.now() > deadline) return alive;
    for (const p of alive) {
      try {
        process.kill(p, 'SIGKILL');
      } catch { /* gone or not ours */ }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
