/**
 * The argv of one share's virtiofsd (ADR 0059). Pure: unit tests pin it.
 *
 * virtiofsd (QEMU 7.2's C daemon) has no read-only option and shares directories only, so it runs
 * in a private mount namespace (`unshare -m`) made by a short sh script that stages the share
 * (virtiofs-shares.ts): a bind of the directory, or a tmpfs holding only the file; `:ro` remounts
 * the bind read-only. Its pid lock goes to /run/virtiofsd, which only root may create: the script
 * mounts a tmpfs on /run in that namespace (the socket is named relative to the working
 * directory, the runtime dir, entered first). A normal user's virtiofsd runs as root of a user
 * namespace with the caller's sub-id maps (`berth-shim unshare`), as rootless images are owned:
 * its sandbox (`sandbox=namespace`: mount, pid and net namespaces) needs CAP_SYS_ADMIN there.
 * It ends by itself when QEMU's end of the socket closes.
 */
import { basename, dirname } from 'node:path';
import type { VirtiofsShare } from './virtiofs-shares.js';

/** Where Debian's qemu-system-common puts it. */
export const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';

const STAGE_SCRIPT = [
  'set -e',
  'src=$1 stage=$2 name=$3 ro=$4 run=$5',
  'shift 5',
  'if [ -z "$name" ]; then',
  '  mount --bind "$src" "$stage"',
  '  if [ "$ro" = 1 ]; then mount -o remount,bind,ro "$stage"; fi',
  'else',
  '  mount -t tmpfs -o mode=0755,size=64k berth-share "$stage"',
  '  : > "$stage/$name"',
  '  mount --bind "$src" "$stage/$name"',
  '  if [ "$ro" = 1 ]; then mount -o remount,bind,ro "$stage/$name"; fi',
  '  mount -o remount,ro "$stage"',
  'fi',
  'cd "$run"',
  'mount -t tmpfs -o mode=0755 berth-run /run',
  'exec "$@"',
].join('\n');

export interface VirtiofsdHost {
  virtiofsd?: string;
  /** A normal user: wraps the argv in `berth-shim unshare` with the caller's sub-id maps (shim-cmdline.ts unshareArgv). */
  userns?: (argv: string[]) => string[];
}

export function virtiofsdArgv(s: VirtiofsShare, host: VirtiofsdHost = {}): string[] {
  const argv = [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    STAGE_SCRIPT,
    'berth-virtiofsd',
    s.source,
    s.stage,
    s.fileName ?? '',
    s.readOnly ? '1' : '0',
    dirname(s.socket),
    host.virtiofsd ?? VIRTIOFSD,
    `--socket-path=${basename(s.socket)}`,
    '-o',
    `source=${s.stage}`,
    '-o',
    'cache=auto',
    '-o',
    'log_level=warn',
  ];
  return host.userns ? host.userns(argv) : argv;
}
