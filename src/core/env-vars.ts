/** The command's environment: image defaults, then berth's, then the user's -e values. */
import { SpecError } from './errors.js';

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse `-e` values: KEY=VALUE, or KEY alone to copy the caller's value (skipped when unset). */
export function parseEnvArgs(values: string[], host: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!KEY_RE.test(key)) {
      throw new SpecError('bad-env', `invalid environment variable "${v}"`, {
        fix: 'use -e KEY=VALUE with KEY made of letters, digits and _',
      });
    }
    if (eq < 0) {
      const hv = host[key];
      if (hv !== undefined) out[key] = hv;
    } else out[key] = v.slice(eq + 1);
  }
  return out;
}

export function commandEnv(opts: {
  image: Record<string, string>;
  user: Record<string, string>;
  hostname: string;
  home: string;
  tty: boolean;
}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...opts.image,
    HOSTNAME: opts.hostname,
    HOME: opts.home,
  };
  if (opts.tty) env.TERM = 'xterm';
  return { ...env, ...opts.user };
}
