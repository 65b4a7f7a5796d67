/**
 * Every host process of one VM: the monitor (its argv names the state dir) and the kernel's
 * processes (their argv names the COW file in it). A uml kernel starts its own session, so
 * one process group does not hold them all; finding them by argv does, even after the
 * kernel process itself died and left its userspace processes orphaned.
 *
 * Killing order matters for uml: its guest processes are host processes traced by the kernel
 * process. Killed alone, the kernel detaches them and, for a moment, they run natively on the
 * host (with the caller's rights). A SIGKILL to a whole process group reaches every member
 * before any of them can run again, so groups go first, then anything left, leaves before
 * parents.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
}

/** Fields of /proc/PID/stat after the command name (which may hold blanks and parentheses). */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  if (f.length < 3) return undefined;
  return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]) };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The order to kill `procs` in: the process groups led by one of them (never our own, never
 * a group whose leader is not in `procs`: that could be a user's shell job), then single
 * processes, children before their parents.
 */
export function killOrder(procs: ProcStat[], ownPgid: number): { groups: number[]; pids: number[] } {
  const leaders = new Set(procs.filter((p) => p.pid === p.pgid).map((p) => p.pid));
  const groups = [...new Set(procs.map((p) => p.pgid))].filter((g) => g > 1 && g !== ownPgid && leaders.has(g));
  const pids: number[] = [];
  let left = procs;
  while (left.length > 0) {
    const parents = new Set(left.map((p) => p.ppid));
    const leaves = left.filter((p) => !parents.has(p.pid));
    const take = leaves.length > 0 ? leaves : left; // a cycle (reused pids): take them all
    // A loop and a Set, not a spread and includes(): a guest fork bomb makes as many host processes.
    for (const p of take) pids.push(p.pid);
    const taken = new Set(take);
    left = left.filter((p) => !taken.has(p));
  }
  return { groups, pids };
}

function ownPgid(): number {
  return readStat(process.pid)?.pgid ?? -1;
}

/** SIGKILL them all; resolves once none is left (zombies count as gone) or after `timeoutMs`. */
export async function killProcessesMentioning(needle: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const mine = ownPgid();
  for (;;) {
    const alive = processesMentioning(needle)
      .map(readStat)
      .filter((s): s is ProcStat => s !== undefined && s.state !== 'Z');
    if (alive.length === 0 || Date.now() > deadline) return alive.map((s) => s.pid);
    const order = killOrder(alive, mine);
    for (const g of order.groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone or not ours */
      }
    }
    for (const p of order.pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone or not ours */
      }
    }
    await gone(
      alive.map((s) => s.pid),
      deadline,
    );
  }
}

/**
 * Until every one of PIDS has ended (a zombie counts) or DEADLINE passes: each one's own stat
 * file, every 2 ms, instead of a scan of every process (which then looks once more for any left).
 */
async function gone(pids: number[], deadline: number): Promise<void> {
  let left = pids;
  while (left.length > 0 && Date.now() <= deadline) {
    await new Promise((r) => setTimeout(r, 2));
    left = left.filter((p) => {
      const s = readStat(p);
      return s !== undefined && s.state !== 'Z';
    });
  }
}
