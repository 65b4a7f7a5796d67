/** Linux capability names and the default set a container keeps (Podman's 11). */
import { SpecError } from '../../core/errors.js';

export const ALL_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

function normalise(name: string): string {
  const n = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (n === 'ALL') return n;
  if (!(ALL_CAPS as readonly string[]).includes(n)) {
    throw new SpecError('bad-cap', `unknown capability "${name}"`, {
      fix: 'use a name like NET_ADMIN or CAP_SYS_PTRACE, or ALL',
    });
  }
  return n;
}

/** The capabilities kept: the defaults, plus --cap-add, minus --cap-drop (ALL allowed in both). */
export function effectiveCaps(add: string[], drop: string[]): string[] {
  const adds = add.map(normalise);
  const drops = drop.map(normalise);
  let set = new Set<string>(adds.includes('ALL') ? ALL_CAPS : DEFAULT_CAPS);
  for (const a of adds) if (a !== 'ALL') set.add(a);
  if (drops.includes('ALL')) set = new Set(adds.filter((a) => a !== 'ALL'));
  for (const d of drops) set.delete(d);
  return ALL_CAPS.filter((c) => set.has(c));
}
