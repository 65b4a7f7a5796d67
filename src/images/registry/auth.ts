/**
 * Registry authentication: WWW-Authenticate challenges (RFC 7235 syntax, as registries send
 * them) and basic credentials from Docker/Podman auth files.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from '../ref.js';

export interface Challenge {
  scheme: string; // lowercase: 'bearer' | 'basic' | ...
  params: Record<string, string>;
}

/**
 * Parse a WWW-Authenticate header value into challenges. Handles quoted strings with
 * backslash escapes, commas inside quotes and several challenges in one header.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
  };
  const token = () => {
    const st = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++;
    return s.slice(st, i);
  };
  while (i < s.length) {
    skipWs();
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      while (i < s.length && /[\s]/.test(s[i]!)) i++;
      const save = i;
      const name = token();
      while (i < s.length && s[i] === ' ') i++;
      if (!name || s[i] !== '=') {
        i = save;
        break;
      }
      i++; // '='
      while (i < s.length && s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const st = i;
        while (i < s.length && s[i] !== ',' && !/\s/.test(s[i]!)) i++;
        value = s.slice(st, i);
      }
      ch.params[name.toLowerCase()] = value;
      while (i < s.length && s[i] === ' ') i++;
      if (s[i] === ',') {
        i++;
        // A following "name=" continues this challenge; a bare token starts the next one.
        const look = i;
        while (i < s.length && /\s/.test(s[i]!)) i++;
        const t = token();
        while (i < s.length && s[i] === ' ') i++;
        const continues = t !== '' && s[i] === '=';
        i = look;
        if (!continues) break;
      } else break;
    }
  }
  return out;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Where `berth login` writes, as Podman does: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json (root: /run/containers/0/auth.json). */
export function loginAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  const uid = process.getuid?.() ?? 0;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return uid === 0 ? '/run/containers/0/auth.json' : join('/run/user', String(uid), 'containers', 'auth.json');
}

/** Auth files in the order consulted: berth login's (Podman's) file, then $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [loginAuthFile(env)];
  files.push(join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json'));
  return files;
}

export function keysFor(registry: string): string[] {
  const keys = [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
    `${registry}/v1/`,
  ];
  if (registry === DOCKER_HUB) keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** Basic credentials for `registry` (host[:port]) from the first auth file that has them. */
export function findCredentials(registry: string, files: string[] = authFiles()): BasicCredentials | undefined {
  for (const file of files) {
    let json: { auths?: Record<string, { auth?: string }> };
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
    } catch {
      continue; // absent or unreadable: not an error, registries may be anonymous
    }
    const auths = json.auths ?? {};
    for (const key of keysFor(registry)) {
      const auth = auths[key]?.auth;
      if (!auth) continue;
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) continue;
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

export function basicHeader(c: BasicCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
