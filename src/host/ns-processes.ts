/**
 * The processes of an environment (`berth top`): every host process that shares the mount
 * namespace of the environment's command (chroot and container both give it a private one).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface EnvProcess {
  /** Host pid (shim backends) or the guest's pid (VM backends). */
  pid: number;
  /** Host uid (shim backends) or the guest's uid (VM backends). */
  uid: number;
  /** The user name where the environment's /etc/passwd has it (VM backends). */
  user?: string;
  command: string;
}

function nsOf(pid: number | string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

export function processesInMountNs(anchorPid: number): EnvProcess[] {
  const ns = nsOf(anchorPid);
  if (!ns) return [];
  const out: EnvProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || nsOf(entry) !== ns) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({ pid: Number(entry), uid, command });
    } catch {
      /* exited meanwhile */
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
