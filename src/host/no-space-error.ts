/**
 * A full filesystem (issue 17.2) as one BerthError that names the filesystem and what frees space,
 * wherever it happens: pulls, unpacking, base-disk builds, logs, state writes. `asNoSpaceError`
 * turns anything thrown into that error when it is one, so an entry point applies it once.
 */
import { existsSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HostError, isBerthError } from '../core/errors.js';
import { isNoSpace, NO_SPACE_CODE } from '../core/no-space.js';
import { resolvePaths } from '../core/paths.js';
import { parseMountinfo } from './probes/mountinfo.js';

const FREES_SPACE =
  'free space there; `berth prune` removes stopped environments, unused images and stale partial downloads, `berth rmi` removes images';

function existing(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The mount point holding `path` (the longest mount point that is a prefix of it). */
export function mountPointOf(path: string): string {
  const p = existing(path);
  let best = '/';
  try {
    for (const m of parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))) {
      const mp = m.mountPoint;
      if ((p === mp || p.startsWith(mp === '/' ? '/' : `${mp}/`)) && mp.length > best.length) best = mp;
    }
  } catch {
    /* no /proc: say / */
  }
  return best;
}

function freeText(path: string): string {
  try {
    const s = statfsSync(existing(path));
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    return `${mib(s.bavail * s.bsize)} of ${mib(s.blocks * s.bsize)} free`;
  } catch {
    return 'full';
  }
}

/** The one error for a full filesystem at `path`, while `doing` ("downloading …", "writing …") when known. */
export function noSpaceError(path: string, doing?: string, cause?: unknown): HostError {
  const mp = mountPointOf(path);
  const what = doing ? ` while ${doing}` : '';
  return new HostError(NO_SPACE_CODE, `no space left on the filesystem at ${mp} (${freeText(path)})${what}`, {
    fix: FREES_SPACE,
    cause,
  });
}

/**
 * `e` as the no-space error when a filesystem was full, else `e` unchanged. The path is the
 * errno error's own when it has one, else berth's data directory (for `env`).
 */
export function asNoSpaceError(e: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!isNoSpace(e)) return e;
  if (isBerthError(e) && e.code === NO_SPACE_CODE) return e;
  let path: string | undefined;
  let doing: string | undefined;
  for (let c = e, depth = 0; c && typeof c === 'object' && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    const x = c as { path?: unknown };
    if (typeof x.path === 'string') {
      path = x.path;
      doing = `writing ${x.path}`;
      break;
    }
  }
  return noSpaceError(path ?? resolvePaths(env).data, doing, e);
}
