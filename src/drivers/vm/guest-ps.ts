/**
 * `berth top` of a VM: the guest's own processes, read inside the guest through the exec path.
 * A syscall is slow in a uml guest (each is traced) and a shell `read` costs one per byte, so the
 * guest only dumps /proc/PID/status and cmdline of every process with one `head` (its "==> FILE
 * <==" headers delimit them) and its /etc/passwd; the host parses. Kernel threads (no command
 * line) and the listing shell itself are left out. The parser is pure.
 */
import type { EnvProcess } from '../../host/ns-processes.js';

const PASSWD_MARK = '--berth-passwd--';

export const GUEST_PS_ARGV = [
  'sh',
  '-c',
  `echo "self $$"; cd /proc && head -c 65536 [0-9]*/status [0-9]*/cmdline 2>/dev/null; echo; echo ${PASSWD_MARK}; cat /etc/passwd 2>/dev/null; exit 0`,
];

/** Pure: the script's output -> processes sorted by pid, with user names where passwd has them. */
export function parseGuestPs(out: string): EnvProcess[] {
  const mark = out.lastIndexOf(`\n${PASSWD_MARK}\n`);
  const dump = mark < 0 ? out : out.slice(0, mark);
  const passwd = mark < 0 ? '' : out.slice(mark + PASSWD_MARK.length + 2);
  const self = /^self (\d+)/.exec(dump)?.[1];
  const names = new Map<number, string>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2]!) && !names.has(Number(f[2]))) names.set(Number(f[2]), f[0]!);
  }
  const procs = new Map<string, { status?: string; cmdline?: string }>();
  const parts = dump.split(/(?:^|\n)==> (\d+)\/(status|cmdline) <==\n/);
  for (let i = 1; i + 2 < parts.length + 1; i += 3) {
    const pid = parts[i]!;
    const kind = parts[i + 1] as 'status' | 'cmdline';
    const p = procs.get(pid) ?? {};
    p[kind] = parts[i + 2] ?? '';
    procs.set(pid, p);
  }
  const list: EnvProcess[] = [];
  for (const [pid, p] of procs) {
    const command = (p.cmdline ?? '').replace(/\0/g, ' ').trim();
    if (pid === self || command === '' || p.status === undefined) continue; // the lister, kernel threads, zombies
    const uid = Number(/^Uid:\s+(\d+)/m.exec(p.status)?.[1] ?? -1);
    const user = names.get(uid);
    list.push({ pid: Number(pid), uid, ...(user !== undefined ? { user } : {}), command });
  }
  return list.sort((a, b) => a.pid - b.pid);
}
