/**
 * Using a kernel package that is installed on the host (user-mode-linux) instead of downloading
 * it: only when dpkg says the installed version is the one the verified index lists, and the
 * kernel's MD5 matches dpkg's md5sums for that package.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseParagraphs } from '../images/debian/deb822.js';

/** The installed version of `pkg` from a dpkg status file's text, or undefined. Pure. */
export function installedVersion(statusText: string, pkg: string, arch: string): string | undefined {
  for (const p of parseParagraphs(statusText)) {
    if (p.get('package') !== pkg) continue;
    const a = p.get('architecture');
    if (a !== undefined && a !== arch && a !== 'all') continue;
    if (!/\binstalled$/.test(p.get('status') ?? '') || !/^install ok/.test(p.get('status') ?? '')) continue;
    return p.get('version');
  }
  return undefined;
}

/** md5sums file text -> map of "usr/bin/x" -> md5. Pure. */
export function parseMd5sums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{32})\s+\*?(.+)$/.exec(line.trim());
    if (m) out.set(m[2]!.replace(/^\/+/, ''), m[1]!);
  }
  return out;
}

export interface InstalledKernel {
  version: string;
  kernel: string;
  modulesDir?: string;
  release?: string;
}

/**
 * The installed package's kernel when its version is `wantVersion` and the kernel file's MD5 is
 * the one dpkg recorded; otherwise undefined (then the .deb is downloaded).
 */
export function findInstalled(
  pkg: string,
  arch: string,
  wantVersion: string,
  paths: { kernel: string; modulesRoot: string },
  dpkgDir = '/var/lib/dpkg',
): InstalledKernel | undefined {
  try {
    const version = installedVersion(readFileSync(join(dpkgDir, 'status'), 'utf8'), pkg, arch);
    if (version !== wantVersion) return undefined;
    const sums = [`${pkg}.md5sums`, `${pkg}:${arch}.md5sums`]
      .map((f) => {
        try {
          return readFileSync(join(dpkgDir, 'info', f), 'utf8');
        } catch {
          return undefined;
        }
      })
      .find((t) => t !== undefined);
    if (!sums) return undefined;
    const want = parseMd5sums(sums).get(paths.kernel.replace(/^\/+/, ''));
    const have = createHash('md5').update(readFileSync(paths.kernel)).digest('hex');
    if (!want || want !== have) return undefined;
    const releases = readdirSync(paths.modulesRoot).filter((d) => statSync(join(paths.modulesRoot, d)).isDirectory());
    const out: InstalledKernel = { version, kernel: paths.kernel };
    if (releases.length === 1) {
      out.release = releases[0]!;
      out.modulesDir = join(paths.modulesRoot, releases[0]!);
    }
    return out;
  } catch {
    return undefined;
  }
}
