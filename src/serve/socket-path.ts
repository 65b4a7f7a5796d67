/** Where `berth serve` listens by default: per user under XDG_RUNTIME_DIR, /run/berth for root. */
import { join } from 'node:path';
import { SpecError } from '../index.js';

export function defaultSocketPath(uid: number, env: NodeJS.ProcessEnv): string {
  if (uid === 0) return '/run/berth/docker.sock';
  const runtime = env.XDG_RUNTIME_DIR;
  if (!runtime)
    throw new SpecError('no-runtime-dir', 'XDG_RUNTIME_DIR is not set, so berth serve has no default socket', {
      fix: 'give --socket PATH, or log in through a session that sets XDG_RUNTIME_DIR',
    });
  return join(runtime, 'berth', 'docker.sock');
}

/** `--tcp 127.0.0.1:PORT`: loopback only (the API runs anything as the caller; no TLS). */
export function parseTcp(value: string): { host: string; port: number } {
  const m = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new SpecError('bad-tcp', `--tcp "${value}" is not a loopback address and port`, {
      fix: 'give 127.0.0.1:PORT (berth serves TCP on loopback only: the API has no authentication)',
    });
  return { host: m[1] === '[::1]' ? '::1' : m[1]!, port };
}
