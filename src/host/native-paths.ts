/** Locate the native helpers built by `make -C native` (BERTH_SHIM overrides). */
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError } from '../core/errors.js';

let cached: string | undefined;

export function findNative(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = name === 'berth-shim' ? env.BERTH_SHIM : undefined;
  if (override) return override;
  // Walk up from this module (dist/ when bundled, build/src/host/ when compiled) to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'bin', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* keep walking */ }
    dir = dirname(dir);
  }
  return undefined;
}

export function shimPath(): string {
  if (cached) return cached;
  const p = findNative('berth-shim');
  if (!p) {
    throw new HostError('no-shim', 'the native helper berth-shim is not built', { fix: 'run "npm install" (it runs make -C native; needs gcc)' });
  }
  return (cached = p);
}
