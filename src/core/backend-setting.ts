/**
 * Which backend was asked for, and where that came from: the one place the backend setting is
 * parsed and defaulted. Precedence: the caller's `backend` (CLI: --backend) > BERTH_BACKEND >
 * the user's config file ($XDG_CONFIG_HOME/berth/config.json, default ~/.config/berth/config.json)
 * > the system's (/etc/berth/config.json) > auto. Sources are read in that order and the first
 * that sets a backend decides; a bad value there is a SpecError naming the source and the fix.
 * A config file is a JSON object; `{"backend": "container"}` is the only setting read here.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_NAMES, type BackendName } from './spec.js';
import { SpecError } from './errors.js';

export type BackendSetting = BackendName | 'auto';
export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', ...BACKEND_NAMES];

export interface BackendRequest {
  backend: BackendSetting;
  /** '--backend' (the caller named it), 'BERTH_BACKEND', a config file's path, or 'default'. */
  source: string;
}

export interface ConfigFiles {
  user: string;
  system: string;
}

export const SYSTEM_CONFIG = '/etc/berth/config.json';

export function configFiles(env: NodeJS.ProcessEnv = process.env): ConfigFiles {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return { user: join(base, 'berth', 'config.json'), system: SYSTEM_CONFIG };
}

const isSetting = (v: unknown): v is BackendSetting =>
  typeof v === 'string' && (BACKEND_SETTINGS as readonly string[]).includes(v);
const oneOf = BACKEND_SETTINGS.join(', ');

/** The backend setting of a config file, or undefined when the file or the setting is absent. */
function fromFile(path: string): BackendSetting | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw new SpecError('bad-config', `cannot read ${path}: ${(e as Error).message}`, {
      fix: 'make it readable or remove it',
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SpecError('bad-config', `${path} is not valid JSON: ${(e as Error).message}`, {
      fix: 'fix or remove the file',
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SpecError('bad-config', `${path} is not a JSON object`, {
      fix: 'write e.g. {"backend": "container"}, or remove the file',
    });
  }
  const v = (doc as Record<string, unknown>).backend;
  if (v === undefined) return undefined;
  if (!isSetting(v))
    throw new SpecError('bad-backend', `${path}: "backend": ${JSON.stringify(v)} is not a backend`, {
      fix: `set it to one of: ${oneOf}, or remove it`,
    });
  return v;
}

/** Which backend to use and why: `given` is the caller's choice (the --backend flag), if any. */
export function requestedBackend(
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  files: ConfigFiles = configFiles(env),
): BackendRequest {
  if (given !== undefined) {
    if (!isSetting(given))
      throw new SpecError('bad-backend', `--backend "${given}" is not a backend`, { fix: `use one of: ${oneOf}` });
    return { backend: given, source: '--backend' };
  }
  const fromEnv = env.BERTH_BACKEND;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isSetting(fromEnv))
      throw new SpecError('bad-backend', `BERTH_BACKEND="${fromEnv}" is not a backend`, {
        fix: `set it to one of: ${oneOf}, or unset it`,
      });
    return { backend: fromEnv, source: 'BERTH_BACKEND' };
  }
  for (const path of [files.user, files.system]) {
    const v = fromFile(path);
    if (v !== undefined) return { backend: v, source: path };
  }
  return { backend: 'auto', source: 'default' };
}
