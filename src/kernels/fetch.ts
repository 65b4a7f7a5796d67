/**
 * Putting a manifest's kernel into the cache: the signed index names the package (following a
 * metapackage to the versioned one), then either the identical installed package is recorded,
 * or the .deb is downloaded, verified (gpgv InRelease -> Packages SHA256 -> .deb SHA256) and its
 * kernel and module tree extracted. One install per kernel name at a time (a lock); the version
 * directory appears by rename, and a failure leaves nothing behind.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KernelError, isBerthError } from '../core/errors.js';
import { acquireLock } from '../core/lock.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { Reverter } from '../core/reverter.js';
import type { Paths } from '../core/paths.js';
import { debianArch } from '../images/debian/arch.js';
import type { DebFetchOptions, VerifiedIndex } from '../images/debian/fetch-deb.js';
import type { PackageEntry } from '../images/debian/packages-index.js';
import type { KernelManifest } from './manifest.js';
import type { KernelRecord } from './kernel.js';
import { RECORD, cachedVersions, sha256File, versionDirName, type CachedEntry } from './cache.js';
import { findInstalled } from './installed.js';
import type { PullPolicy } from '../core/pull-policy.js';
import type { TransferHook } from '../core/transfer.js';

export interface FetchKernelOptions {
  fetch?: DebFetchOptions;
  progress?: (m: string) => void;
  /** Bytes of the index and .deb downloads. */
  onTransfer?: TransferHook;
  /** `--pull never`: use only a cached kernel, refuse to fetch one (resolveKernel). */
  pull?: PullPolicy;
  /** Never use the installed package (tests of the download path). */
  noInstalled?: boolean;
  /** dpkg's directory (tests). */
  dpkgDir?: string;
}

const NET_FIX =
  "check the network and the Debian mirror (BERTH_DEBIAN_MIRROR, else the host's apt sources), or give a kernel file with --kernel PATH";

/** Re-throw the image chain's errors as kernel errors with a kernel-specific fix. */
function asKernelError(e: unknown): unknown {
  if (isBerthError(e) && e.area === 'image') return new KernelError(e.code, e.message, { fix: NET_FIX, cause: e });
  return e;
}

/** First alternative of each Depends item. Pure. */
export function dependsNames(depends: string | undefined): string[] {
  if (!depends) return [];
  return depends
    .split(',')
    .map((d) => d.split('|')[0]!.trim().split(/[\s(]/)[0]!)
    .filter((n) => n !== '');
}

/** The entry to fetch: the package itself, or the versioned kernel a metapackage depends on. */
export function pickEntry(index: Pick<VerifiedIndex, 'find' | 'suite' | 'arch'>, m: KernelManifest): PackageEntry {
  const entry = index.find(m.package);
  if (!entry)
    throw new KernelError('package-not-found', `${m.package} is not in ${index.suite}/main for ${index.arch}`, {
      fix: NET_FIX,
    });
  if (!m.metapackage) return entry;
  const re = new RegExp(m.metapackage);
  const target = dependsNames(entry.depends).find((n) => re.test(n));
  if (!target)
    throw new KernelError(
      'metapackage-unresolved',
      `${m.package} ${entry.version} depends on no package matching ${m.metapackage}`,
      { fix: 'fix "metapackage" in the kernel manifest' },
    );
  const real = index.find(target);
  if (!real)
    throw new KernelError(
      'package-not-found',
      `${target} (named by ${m.package}) is not in ${index.suite}/main for ${index.arch}`,
      { fix: NET_FIX },
    );
  return real;
}

function singleRelease(modulesRoot: string): string | undefined {
  if (!existsSync(modulesRoot)) return undefined;
  const dirs = readdirSync(modulesRoot).filter((d) => statSync(join(modulesRoot, d)).isDirectory());
  if (dirs.length > 1)
    throw new KernelError(
      'many-module-trees',
      `the package has ${dirs.length} module trees (${dirs.join(', ')}), expected one`,
      { fix: 'fix "modulesRoot" in the kernel manifest' },
    );
  return dirs[0];
}

async function extractDeb(debPath: string, tmp: string, m: KernelManifest): Promise<void> {
  const { extractTreeFromDeb } = await import('../images/debian/deb-extract-tree.js');
  const kernelRe = new RegExp(m.kernelPath);
  const modPrefix = `${m.modulesRoot}/`;
  let kernels = 0;
  await extractTreeFromDeb(await readFile(debPath), tmp, (p) => {
    if (kernelRe.test(p)) {
      kernels++;
      return 'kernel';
    }
    return p.startsWith(modPrefix) ? `modules/${p.slice(modPrefix.length)}` : undefined;
  }).catch((e: unknown) => {
    throw new KernelError('deb-unreadable', `cannot extract the kernel package: ${(e as Error).message}`, {
      fix: 'the .deb is corrupt; run again',
      cause: e,
    });
  });
  if (kernels !== 1) {
    throw new KernelError(
      'kernel-not-in-package',
      `the package has ${kernels} files matching ${m.kernelPath}, expected one`,
      { fix: 'fix "kernelPath" in the kernel manifest' },
    );
  }
}

/** Fetch (or adopt the installed) kernel of manifest `m` into the cache and return its entry. */
export async function installKernel(
  paths: Paths,
  m: KernelManifest,
  opts: FetchKernelOptions = {},
): Promise<CachedEntry> {
  const progress = opts.progress ?? (() => {});
  const arch = opts.fetch?.arch ?? debianArch();
  if (!arch || !m.architectures.includes(arch)) {
    throw new KernelError(
      'kernel-arch',
      `kernel ${m.name} exists for ${m.architectures.join(', ')}, not ${arch ?? process.arch}`,
      { fix: 'give a kernel for this machine with --kernel PATH' },
    );
  }
  const lock = await acquireLock(
    join(paths.storeLocks, `kernel-${m.name}.lock`),
    `the kernel cache for ${m.name}`,
    600_000,
  );
  const undo = new Reverter();
  try {
    const have = cachedVersions(paths.kernels, m.name)[0];
    if (have) return have; // another berth installed it while we waited
    const base = join(paths.kernels, m.name);
    mkdirSync(base, { recursive: true, mode: 0o755 });
    for (const n of readdirSync(base))
      if (n.startsWith('.tmp-')) rmSync(join(base, n), { recursive: true, force: true }); // a crashed install
    const tmp = join(base, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp, { mode: 0o755 });
    undo.add(() => rmSync(tmp, { recursive: true, force: true }));
    const work = join(tmp, '.work');
    mkdirSync(work, { mode: 0o700 });

    const { openVerifiedIndex, downloadVerifiedDeb } = await import('../images/debian/fetch-deb.js');
    const fetchOpts: DebFetchOptions = { ...opts.fetch, ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}) };
    const index = await openVerifiedIndex(work, { ...fetchOpts, arch }, progress).catch((e: unknown) => {
      throw asKernelError(e);
    });
    const entry = pickEntry(index, m);
    const dir = join(base, versionDirName(entry.version));
    const installed =
      m.installed && !opts.noInstalled
        ? findInstalled(entry.package, arch, entry.version, m.installed, opts.dpkgDir)
        : undefined;

    let record: KernelRecord;
    const now = new Date().toISOString();
    if (installed) {
      progress(`using the installed ${entry.package} ${entry.version} (${installed.kernel})`);
      record = {
        name: m.name,
        version: entry.version,
        format: m.format,
        kernel: installed.kernel,
        bootModules: m.bootModules,
        sha256: await sha256File(installed.kernel),
        size: statSync(installed.kernel).size,
        origin: 'installed',
        package: { name: entry.package, version: entry.version },
        fetchedAt: now,
      };
      if (installed.release) record.release = installed.release;
      if (installed.modulesDir) record.modulesDir = installed.modulesDir;
    } else {
      const deb = await downloadVerifiedDeb(index, entry, work, fetchOpts, progress).catch((e: unknown) => {
        throw asKernelError(e);
      });
      progress(`extracting ${entry.package} ${entry.version}`);
      await extractDeb(deb.path, tmp, m);
      const release = singleRelease(join(tmp, 'modules'));
      record = {
        name: m.name,
        version: entry.version,
        format: m.format,
        kernel: 'kernel',
        bootModules: m.bootModules,
        sha256: await sha256File(join(tmp, 'kernel')),
        size: statSync(join(tmp, 'kernel')).size,
        origin: 'mirror',
        package: { name: entry.package, version: entry.version, url: deb.url, sha256: deb.sha256 },
        fetchedAt: now,
      };
      if (release) {
        record.release = release;
        record.modulesDir = `modules/${release}`;
      }
    }
    if (m.bootModules.length > 0 && !record.modulesDir) {
      throw new KernelError(
        'no-modules',
        `kernel ${m.name} ${entry.version} has no module tree, but its manifest needs ${m.bootModules.join(', ')}`,
        { fix: 'fix "modulesRoot" in the kernel manifest' },
      );
    }
    rmSync(work, { recursive: true, force: true });
    writeJsonAtomic(join(tmp, RECORD), record, 0o644);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // incomplete: it had no record
    renameSync(tmp, dir);
    undo.success();
    return { dir, record };
  } finally {
    await undo.revert();
    lock.release();
  }
}
