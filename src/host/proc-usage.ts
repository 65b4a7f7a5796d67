/**
 * Resource use of a set of host processes, from /proc: CPU time (utime + stime, plus what their
 * reaped children used), memory (the sum of PSS, so pages they share are counted once; RSS where
 * smaps_rollup cannot be read), storage I/O (/proc/PID/io read_bytes/write_bytes) and network
 * bytes of a network namespace (/proc/PID/net/dev). The parsers are pure; the readers never throw.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** USER_HZ: the unit of /proc/PID/stat times (100 on every Linux architecture berth runs on). */
export const CLOCK_TICKS = 100;
const PAGE = 4096;

/** Pure: CPU ticks of /proc/PID/stat (utime, stime, cutime, cstime) summed; undefined if malformed. */
export function parseStatCpuTicks(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // After the command: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime cutime cstime
  const t = [11, 12, 13, 14].map((i) => Number(f[i]));
  return t.every((n) => Number.isFinite(n)) ? t.reduce((a, b) => a + b, 0) : undefined;
}

/** Pure: a `Key:   N kB` value of /proc/PID/status or smaps_rollup, in bytes. */
export function parseKb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Pure: read_bytes and write_bytes of /proc/PID/io. */
export function parseIo(text: string): { read: number; write: number } | undefined {
  const r = /^read_bytes:\s+(\d+)/m.exec(text);
  const w = /^write_bytes:\s+(\d+)/m.exec(text);
  return r && w ? { read: Number(r[1]), write: Number(w[1]) } : undefined;
}

/** Pure: received and sent bytes of every interface but lo in a /proc/net/dev text. */
export function parseNetDev(text: string, only?: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo' || (only !== undefined && m[1] !== only)) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

export interface ProcUsage {
  cpuNs: number;
  memoryBytes: number;
  /** null when no process's io file could be read (another user's processes). */
  blockReadBytes: number | null;
  blockWriteBytes: number | null;
  /** How many of the processes were still there to be read. */
  count: number;
}

export function procUsage(pids: number[]): ProcUsage {
  let ticks = 0;
  let mem = 0;
  let count = 0;
  let io: { read: number; write: number } | undefined;
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`);
    const t = stat === undefined ? undefined : parseStatCpuTicks(stat);
    if (t === undefined) continue;
    count++;
    ticks += t;
    const pss = parseKb(read(`/proc/${pid}/smaps_rollup`) ?? '', 'Pss');
    mem +=
      pss ??
      parseKb(read(`/proc/${pid}/status`) ?? '', 'VmRSS') ??
      Number((read(`/proc/${pid}/statm`) ?? '0 0').split(' ')[1] ?? 0) * PAGE;
    const i = parseIo(read(`/proc/${pid}/io`) ?? '');
    if (i) io = { read: (io?.read ?? 0) + i.read, write: (io?.write ?? 0) + i.write };
  }
  return {
    cpuNs: (ticks * 1e9) / CLOCK_TICKS,
    memoryBytes: mem,
    blockReadBytes: io?.read ?? null,
    blockWriteBytes: io?.write ?? null,
    count,
  };
}

/** Bytes through the network namespace of `pid` (not lo); null when it is ours, the host's (--network host). */
export function netnsBytes(pid: number): { rx: number; tx: number } | null {
  try {
    if (readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync('/proc/self/ns/net')) return null;
  } catch {
    return null;
  }
  const t = read(`/proc/${pid}/net/dev`);
  return t === undefined ? null : parseNetDev(t);
}

/**
 * A host-side device's counters, seen from the guest: what the tap sends, the guest receives.
 * Read from /proc/self/net/dev, which always shows berth's own network namespace (/sys/class/net
 * shows the namespace /sys was mounted in, which need not be ours).
 */
export function tapBytes(dev: string): { rx: number; tx: number } | null {
  const t = read('/proc/self/net/dev');
  if (t === undefined || !t.split('\n').some((l) => l.trimStart().startsWith(`${dev}:`))) return null;
  const { rx, tx } = parseNetDev(t, dev);
  return { rx: tx, tx: rx };
}
