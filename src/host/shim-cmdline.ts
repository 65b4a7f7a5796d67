/**
 * Pure argv builders for the native shim (native/README.md is the interface). The chroot and
 * container backends differ only in the isolation options they pass; no I/O here, so unit
 * tests pin the exact argv.
 */
import type { ResolvedUser } from '../core/user-spec.js';

export interface IdMap {
  inside: number;
  outside: number;
  count: number;
}

/** What the shim isolates beyond the mount (and uts) namespace. */
export interface ShimIsolation {
  proc: 'bind' | 'new';
  sys: 'bind-ro' | 'new-ro';
  pidNs?: boolean;
  netNs?: boolean;
  ipcNs?: boolean;
  cgroupNs?: boolean;
  /** Capability names kept (absent: unchanged, as chroot does). */
  caps?: string[];
  seccomp?: 'default' | 'unconfined';
  /** cgroup directories the command joins. */
  cgroups?: string[];
}

export interface ShimRunInput {
  shim: string;
  stateDir: string;
  logFile: string;
  /** Rotate the log past this size (`--log-max-size`); absent: no cap. */
  /** An inherited descriptor the shim reports "detached" on when Ctrl-P Ctrl-Q is typed (-it). */
  notifyFd?: number;
  /** A detached -i command's stdin: a FIFO the monitor makes here and reads (`--stdin-fifo`). */
  stdinFifo?: string;
  /** A detached -t command's terminal size: "ROWS COLS", reread on SIGWINCH (`--winsize-file`). */
  winsizeFile?: string;
  /** Started by the monitor once the command ended with no caller waiting (`--exit-hook`, each arg). */
  exitHook?: string[];
  /** An inherited socket for the network handshake (`--net-sync-fd`): berth plumbs the netns. */
  netSyncFd?: number;
  /** A bridge network's `-p` host ports the monitor binds for its life (`--hold-port`, held-ports.ts). */
  holdPorts?: string[];
  logMaxBytes?: number;
  /** Rotated files kept, ctr.log included (`--log-max-files`); only with logMaxBytes. */
  logMaxFiles?: number;
  layers: string[]; // topmost first
  upper: string;
  work: string;
  rootfs: string;
  rootless: boolean;
  uidMaps: IdMap[];
  gidMaps: IdMap[];
  hostname: string;
  env: Record<string, string>;
  workdir: string;
  user: ResolvedUser;
  binds: { source: string; target: string; readOnly: boolean }[];
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  command: string[];
  isolation: ShimIsolation;
}

const mapArg = (m: IdMap) => `${m.inside} ${m.outside} ${m.count}`;

export function userArg(u: ResolvedUser): string {
  return u.groups.length > 0 ? `${u.uid}:${u.gid}:${u.groups.join(',')}` : `${u.uid}:${u.gid}`;
}

export function idMapArgs(rootless: boolean, uidMaps: IdMap[], gidMaps: IdMap[]): string[] {
  if (!rootless) return [];
  const out = ['--userns'];
  for (const m of uidMaps) out.push('--uid-map', mapArg(m));
  for (const m of gidMaps) out.push('--gid-map', mapArg(m));
  return out;
}

export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/** Namespace flags (run only). */
function namespaceArgs(iso: ShimIsolation): string[] {
  const out: string[] = [];
  if (iso.pidNs) out.push('--pid-ns');
  if (iso.netNs) out.push('--net-ns');
  if (iso.ipcNs) out.push('--ipc-ns');
  if (iso.cgroupNs) out.push('--cgroup-ns');
  return out;
}

/** Security and cgroup flags, the same for run and exec. */
export function confinementArgs(iso: ShimIsolation): string[] {
  const out: string[] = [];
  for (const d of iso.cgroups ?? []) out.push('--cgroup', d);
  if (iso.caps) out.push('--caps', iso.caps.length > 0 ? iso.caps.join(',') : 'none');
  if (iso.seccomp) out.push('--seccomp', iso.seccomp);
  return out;
}

export function shimRunArgv(i: ShimRunInput): string[] {
  const argv = [i.shim, 'run', '--state-dir', i.stateDir, '--log', i.logFile];
  if (i.logMaxBytes !== undefined) {
    argv.push('--log-max-size', String(i.logMaxBytes));
    if (i.logMaxFiles !== undefined) argv.push('--log-max-files', String(i.logMaxFiles));
  }
  if (i.detach) argv.push('--detach');
  if (i.notifyFd !== undefined) argv.push('--notify-fd', String(i.notifyFd));
  if (i.stdinFifo !== undefined) argv.push('--stdin-fifo', i.stdinFifo);
  if (i.winsizeFile !== undefined) argv.push('--winsize-file', i.winsizeFile);
  for (const a of i.exitHook ?? []) argv.push('--exit-hook', a);
  if (i.tty) argv.push('--tty');
  if (i.interactive) argv.push('--interactive');
  argv.push(...idMapArgs(i.rootless, i.uidMaps, i.gidMaps));
  for (const l of i.layers) argv.push('--lower', l);
  argv.push('--upper', i.upper, '--work', i.work, '--rootfs', i.rootfs);
  if (i.rootless) argv.push('--overlay-userxattr');
  argv.push('--hostname', i.hostname, ...namespaceArgs(i.isolation));
  if (i.netSyncFd !== undefined) argv.push('--net-sync-fd', String(i.netSyncFd));
  for (const h of i.holdPorts ?? []) argv.push('--hold-port', h);
  argv.push('--proc', i.isolation.proc, '--sys', i.isolation.sys);
  for (const b of i.binds) argv.push('--bind', `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`);
  argv.push(...envArgs(i.env));
  argv.push('--cwd', i.workdir, '--user', userArg(i.user));
  argv.push(...confinementArgs(i.isolation));
  argv.push('--', ...i.command);
  return argv;
}

export interface ShimExecInput {
  shim: string;
  pid: number;
  rootless: boolean;
  env: Record<string, string>;
  workdir: string;
  user: ResolvedUser;
  tty: boolean;
  /** With tty and no client terminal: its size, reread on SIGWINCH (`--winsize-file`). */
  winsizeFile?: string;
  interactive: boolean;
  command: string[];
  isolation?: ShimIsolation;
}

export function shimExecArgv(i: ShimExecInput): string[] {
  const argv = [i.shim, 'exec', '--pid', String(i.pid)];
  if (i.rootless) argv.push('--userns');
  if (i.tty) argv.push('--tty');
  if (i.winsizeFile !== undefined) argv.push('--winsize-file', i.winsizeFile);
  if (i.interactive) argv.push('--interactive');
  argv.push(...envArgs(i.env));
  argv.push('--cwd', i.workdir, '--user', userArg(i.user));
  if (i.isolation) argv.push(...confinementArgs(i.isolation));
  argv.push('--', ...i.command);
  return argv;
}

export function rmtreeArgv(
  shim: string,
  path: string,
  rootless: boolean,
  uidMaps: IdMap[],
  gidMaps: IdMap[],
): string[] {
  return [shim, 'rmtree', ...idMapArgs(rootless, uidMaps, gidMaps), path];
}

/** `berth-shim unshare`: CMD as root of a user namespace with the caller's sub-id maps. */
export function unshareArgv(shim: string, uidMaps: IdMap[], gidMaps: IdMap[], command: string[]): string[] {
  return [shim, 'unshare', ...idMapArgs(true, uidMaps, gidMaps).slice(1), '--', ...command];
}
