/**
 * `--rm` honoured when the command ends, whoever is attached (issue 20.1, ADR 0041). An attached
 * CLI that is still there removes the environment itself (no extra process on the hot path);
 * otherwise (a detached run, a session detached with Ctrl-P Ctrl-Q, a CLI that was killed) the
 * environment's monitor starts `node auto-remove.mjs DATA RUNTIME ID` in a session of its own as
 * its last act, which removes it as `berth rm -f` does, under the environment's lock.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Paths } from '../../core/paths.js';
import { HostError } from '../../core/errors.js';

/** Where the entry script is: dist/auto-remove.mjs when bundled; src/api/auto-remove-main.ts compiled by tsc. */
function entry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [
    join(here, 'auto-remove.mjs'),
    join(here, '..', 'auto-remove.mjs'),
    join(here, '..', '..', 'api', 'auto-remove-main.js'),
  ])
    if (existsSync(c)) return c;
  throw new HostError('no-auto-remove', `the auto-remove script is missing near ${here}`, {
    fix: 'run "npm run build"',
  });
}

/** The argv a monitor runs to remove environment ID of the store at PATHS once its command ended. */
export function autoRemoveArgv(paths: Paths, id: string): string[] {
  return [process.execPath, entry(), paths.data, paths.runtime, id];
}
