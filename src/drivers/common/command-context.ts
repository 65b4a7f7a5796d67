/**
 * Who a command runs as, with which environment variables and in which directory, for the main
 * command (`exec` undefined) and for an exec: the image's settings, then the run's, then the
 * exec's own (-u, -e, -w). Shared by the shim and VM backends.
 */
import type { EnvRecord } from '../../core/env-store.js';
import type { ExecOptions } from '../driver.js';
import { resolveUser, type ResolvedUser } from '../../core/user-spec.js';
import { commandEnv } from '../../core/env-vars.js';
import { readImageFile } from '../../images/image-file.js';

export interface CommandContext {
  user: ResolvedUser;
  env: Record<string, string>;
  workdir: string;
}

type ExecPart = Pick<ExecOptions, 'user' | 'env' | 'tty' | 'workdir'>;

export function commandContext(rec: EnvRecord, exec?: ExecPart): CommandContext {
  const spec = rec.spec;
  const layers = rec.image.layers;
  const user = resolveUser(
    exec?.user ?? spec.user ?? rec.image.config.user,
    readImageFile(layers, 'etc/passwd'),
    readImageFile(layers, 'etc/group'),
  );
  const env = commandEnv({
    image: rec.image.config.env,
    user: exec ? { ...spec.env, ...exec.env } : spec.env,
    hostname: rec.hostname,
    home: user.home,
    tty: exec ? exec.tty : spec.tty,
  });
  return { user, env, workdir: exec?.workdir ?? spec.workdir ?? (rec.image.config.workdir || '/') };
}
