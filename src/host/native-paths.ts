/**
 * Locate the native helpers (ADR 0027). A local build (`make -C native` -> native/bin/, what
 * `npm install` in a checkout makes) wins; otherwise the static ones the npm package ships,
 * built by `npm pack`'s prepack script: native/prebuilt/<platform>-<arch>/. Both are found by
 * their path relative to the package root, never elsewhere. BERTH_SHIM overrides the shim.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError } from '../core/errors.js';

/** The platform-arch pair the package ships helpers for (Node's names, as in process.arch). */
export const SHIPPED_FOR = 'linux-x64';

let root: string | undefined;
let cached: string | undefined;

/**
 * The package root: the nearest directory above this module (dist/, dist/chunks/ or build/src/host/)
 * with a native/ directory or a package.json (a copy of dist/ and native/bin/ has no package.json).
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, 'native')) && !existsSync(join(dir, 'package.json')); i++)
    dir = dirname(dir);
  return (root = dir);
}

/** Where NAME may be, best first. Pure. */
export function nativeCandidates(
  pkgRoot: string,
  name: string,
  platformArch = `${process.platform}-${process.arch}`,
): string[] {
  return [join(pkgRoot, 'native', 'bin', name), join(pkgRoot, 'native', 'prebuilt', platformArch, name)];
}

export function findNative(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = name === 'berth-shim' ? env.BERTH_SHIM : undefined;
  if (override) return override;
  for (const candidate of nativeCandidates(packageRoot(), name)) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Why NAME is missing and what to do, for a one-line error or a probe's reason. Pure. */
export function notBuilt(
  name: string,
  pkgRoot: string,
  platformArch = `${process.platform}-${process.arch}`,
): { message: string; fix: string } {
  const make = `make -C ${join(pkgRoot, 'native')}`;
  if (platformArch !== SHIPPED_FOR) {
    return {
      message: `the native helper ${name} is not built for ${platformArch} (the package ships ${SHIPPED_FOR} helpers only)`,
      fix: `install gcc, make and static glibc (Debian: apt-get install gcc make libc6-dev), then run "${make}"`,
    };
  }
  return {
    message: `the native helper ${name} is not built`,
    fix: `run "npm install" in the checkout, or "${make}" (needs gcc, make and libc6-dev)`,
  };
}

/** notBuilt() as one probe reason. */
export function notBuiltReason(name: string): string {
  const { message, fix } = notBuilt(name, packageRoot());
  return `${message} (${fix})`;
}

export function shimPath(): string {
  if (cached) return cached;
  const p = findNative('berth-shim');
  if (!p) {
    const { message, fix } = notBuilt('berth-shim', packageRoot());
    throw new HostError('no-shim', message, { fix });
  }
  return (cached = p);
}
