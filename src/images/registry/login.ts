/**
 * `berth login` / `berth logout`: check credentials against the registry (GET /v2/, answering
 * its Basic or Bearer challenge), then keep them the way Podman does, base64 "user:password"
 * under `auths.<registry>.auth` in the login auth file (auth.ts: loginAuthFile), mode 0600,
 * replaced atomically. Docker's ~/.docker/config.json is read, never written.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { ImageError } from '../../core/errors.js';
import { keysFor, loginAuthFile } from './auth.js';
import { RegistryClient } from './client.js';

interface AuthJson {
  auths?: Record<string, { auth?: string }>;
  [k: string]: unknown;
}

function readAuth(file: string): AuthJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const j = JSON.parse(text) as AuthJson;
    return typeof j === 'object' && j !== null ? j : {};
  } catch (e) {
    throw new ImageError('auth-file-corrupt', `the auth file ${file} is not JSON`, {
      fix: `fix or remove ${file}`,
      cause: e,
    });
  }
}

function writeAuth(file: string, j: AuthJson): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(j, null, '\t')}\n`, 0o600);
}

export interface LoginOptions {
  insecure?: string[];
  authFile?: string;
}

export async function login(
  registry: string,
  username: string,
  password: string,
  opts: LoginOptions = {},
): Promise<string> {
  if (username === '' || username.includes(':')) {
    throw new ImageError('bad-username', `user name "${username}" is empty or contains ":"`, {
      fix: 'give the registry user name with -u',
    });
  }
  if (password === '')
    throw new ImageError('empty-password', 'the password is empty', { fix: 'pipe it in with --password-stdin' });
  const client = new RegistryClient(registry, {
    ...(opts.insecure ? { insecure: opts.insecure } : {}),
    credentials: { username, password },
    authFiles: [],
  });
  const ok = await client.checkAccess();
  if (!ok.ok) {
    throw new ImageError(
      'login-failed',
      `login to ${registry} failed: wrong user name or password (HTTP ${ok.status})`,
      {
        fix: 'check the user name and password; nothing was stored',
      },
    );
  }
  const file = opts.authFile ?? loginAuthFile();
  const j = readAuth(file);
  j.auths = { ...(j.auths ?? {}) };
  for (const k of keysFor(registry)) if (k !== registry) delete j.auths[k];
  j.auths[registry] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeAuth(file, j);
  return file;
}

/** Forget the credentials for `registry`; returns false when none were stored. */
export function logout(registry: string, opts: { authFile?: string } = {}): boolean {
  const file = opts.authFile ?? loginAuthFile();
  const j = readAuth(file);
  const keys = keysFor(registry).filter((k) => j.auths?.[k] !== undefined);
  if (keys.length === 0) return false;
  for (const k of keys) delete j.auths![k];
  writeAuth(file, j);
  return true;
}
