/** The guest-protocol START requests of a VM environment (uml, microvm): its main command, execs and berth's own helpers. */
import type { EnvRecord } from '../../core/env-store.js';
import { encodeStart, type StartRequest } from './guest-protocol.js';
import type { ExecOptions } from '../driver.js';
import { commandContext, type CommandContext } from '../common/command-context.js';

function request(argv: string[], c: CommandContext, tty: boolean, stdin: boolean): StartRequest {
  return {
    argv,
    env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
    cwd: c.workdir,
    uid: c.user.uid,
    gid: c.user.gid,
    groups: c.user.groups,
    tty,
    stdin,
  };
}

/** `mounts`: what the guest mounts before the command (uml: -v through hostfs). */
export function mainRequest(rec: EnvRecord, mounts?: StartRequest['mounts']): StartRequest {
  const spec = rec.spec;
  const req = {
    ...request(rec.command.argv, commandContext(rec), spec.tty, spec.interactive),
    mkcwd: true,
    // A detached command's terminal (docker run -dit): 24x80 until resized; an attached run sends its own.
    ...(spec.tty ? { rows: 24, cols: 80 } : {}),
    ...(mounts && mounts.length > 0 ? { mounts } : {}),
  };
  encodeStart(req); // a command too long for one START frame is refused here, by name, before boot
  return req;
}

export function execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions): StartRequest {
  return request(argv, commandContext(rec, opts), opts.tty, opts.interactive);
}

/** One of the guest init's own helpers (berth-hosts, berth-connect), as root, reading its stdin. */
export function helperRequest(args: string[]): StartRequest {
  return {
    argv: ['/proc/1/exe', ...args],
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    groups: [],
    tty: false,
    stdin: true,
  };
}
