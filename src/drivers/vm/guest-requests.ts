/** The guest-protocol START requests of a VM environment (uml, microvm): its main command and execs. */
import type { EnvRecord } from '../../core/env-store.js';
import type { StartRequest } from './guest-protocol.js';
import type { ExecOptions } from '../driver.js';
import { resolveUser } from '../../core/user-spec.js';
import { commandEnv } from '../../core/env-vars.js';
import { readImageFile } from '../../images/image-file.js';

function userOf(rec: EnvRecord, user: string | undefined) {
  const layers = rec.image.layers;
  return resolveUser(
    user ?? rec.image.config.user,
    readImageFile(layers, 'etc/passwd'),
    readImageFile(layers, 'etc/group'),
  );
}

/** `mounts`: what the guest mounts before the command (uml: -v through hostfs). */
export function mainRequest(rec: EnvRecord, mounts?: StartRequest['mounts']): StartRequest {
  const spec = rec.spec;
  const user = userOf(rec, spec.user);
  const env = commandEnv({
    image: rec.image.config.env,
    user: spec.env,
    hostname: rec.hostname,
    home: user.home,
    tty: spec.tty,
  });
  return {
    argv: rec.command.argv,
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    cwd: spec.workdir ?? (rec.image.config.workdir || '/'),
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    tty: spec.tty,
    stdin: spec.interactive,
    ...(mounts && mounts.length > 0 ? { mounts } : {}),
  };
}

export function execRequest(rec: EnvRecord, argv: string[], opts: ExecOptions): StartRequest {
  const user = userOf(rec, opts.user ?? rec.spec.user);
  const env = commandEnv({
    image: rec.image.config.env,
    user: { ...rec.spec.env, ...opts.env },
    hostname: rec.hostname,
    home: user.home,
    tty: opts.tty,
  });
  return {
    argv,
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    cwd: opts.workdir ?? rec.spec.workdir ?? (rec.image.config.workdir || '/'),
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    tty: opts.tty,
    stdin: opts.interactive,
  };
}
