/**
 * Pure argv builder for the native shim running a chroot-backend environment.
 * No I/O: everything it needs is in the input, so unit tests pin the exact argv.
 */
import type { ResolvedUser } from '../../core/user-spec.js';

export interface IdMap { inside: number; outside: number; count: number }

export interface ChrootRunInput {
  shim: string;
  stateDir: string;
  logFile: string;
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

export function chrootRunArgv(i: ChrootRunInput): string[] {
  const argv = [i.shim, 'run', '--state-dir', i.stateDir, '--log', i.logFile];
  if (i.detach) argv.push('--detach');
  if (i.tty) argv.push('--tty');
  if (i.interactive) argv.push('--interactive');
  argv.push(...idMapArgs(i.rootless, i.uidMaps, i.gidMaps));
  for (const l of i.layers) argv.push('--lower', l);
  argv.push('--upper', i.upper, '--work', i.work, '--rootfs', i.rootfs);
  if (i.rootless) argv.push('--overlay-userxattr');
  argv.push('--hostname', i.hostname);
  // chroot isolates the filesystem only: the host's /proc and a read-only /sys.
  argv.push('--proc', 'bind', '--sys', 'bind-ro');
  for (const b of i.binds) argv.push('--bind', `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`);
  argv.push(...envArgs(i.env));
  argv.push('--cwd', i.workdir, '--user', userArg(i.user));
  argv.push('--', ...i.command);
  return argv;
}

export interface ChrootExecInput {
  shim: string;
  pid: number;
  rootless: boolean;
  env: Record<string, string>;
  workdir: string;
  user: ResolvedUser;
  tty: boolean;
  interactive: boolean;
  command: string[];
}

export function chrootExecArgv(i: ChrootExecInput): string[] {
  const argv = [i.shim, 'exec', '--pid', String(i.pid)];
  if (i.rootless) argv.push('--userns');
  if (i.tty) argv.push('--tty');
  if (i.interactive) argv.push('--interactive');
  argv.push(...envArgs(i.env));
  argv.push('--cwd', i.workdir, '--user', userArg(i.user));
  argv.push('--', ...i.command);
  return argv;
}

export function rmtreeArgv(shim: string, path: string, rootless: boolean, uidMaps: IdMap[], gidMaps: IdMap[]): string[] {
  return [shim, 'rmtree', ...idMapArgs(rootless, uidMaps, gidMaps), path];
}
