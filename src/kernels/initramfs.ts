/**
 * The initramfs of both VM backends (guest boot contract): `/init` (the guest init), one
 * `/lib/modules/<name>.ko` per module to load (decompressed), `/etc/berth/modules` (their file
 * names in load order). Written as cpio newc + gzip in TypeScript and cached per (kernel, module
 * set, init SHA256) as `<kernel cache dir>/initramfs/<key>.cpio.gz`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Kernel } from './kernel.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { type FileIdentity, fileIdentity, readStamp, stampedDigest, writeStamp } from './verified-stamp.js';

export interface InitramfsOptions {
  kernel: Kernel;
  /** Host path of the binary that becomes /init. */
  init: string;
  /** Module names to load (default: the kernel's bootModules); dependencies are added. */
  modules?: string[];
  /** More files to put in (e.g. a test's busybox). */
  extra?: { path: string; source: string; mode?: number }[];
}

export interface Initramfs {
  path: string;
  /** Module names in load order. */
  modules: string[];
  /** Whether it came from the cache. */
  cached: boolean;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function readHost(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new KernelError(
      'initramfs-input-missing',
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        fix: what === 'the guest init' ? 'build it: npm run build (make -C native)' : `check ${path}`,
        cause: e,
      },
    );
  }
}

/** The guest init's digest is remembered beside the initramfs files, per identity of its file. */
export const INIT_STAMP = 'init.verified';

/**
 * The SHA256 of the guest init at PATH, remembered in DIR per identity of its file, as
 * kernel.verified remembers the kernel's (ADR 0071): reading and hashing the 0.9 MB binary cost
 * every VM start 4-6 ms. A rebuilt or replaced init has another identity and is hashed again.
 */
export function initDigest(path: string, dir: string): string {
  let id: FileIdentity | undefined;
  try {
    id = fileIdentity(path);
  } catch {
    /* readHost below says why */
  }
  const known = id && stampedDigest(readStamp(dir, INIT_STAMP), id);
  if (known) return known;
  const digest = sha(readHost(path, 'the guest init'));
  if (id) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch {
      /* a cache this user cannot write (ADR 0036): writeStamp gives up too, and it is hashed each time */
    }
    writeStamp(dir, id, digest, INIT_STAMP);
  }
  return digest;
}

/** The lines of /etc/berth/modules for modules in load order. Pure. */
export function modulesListFile(order: string[]): string {
  return order.map((n) => `${n}.ko\n`).join('');
}

export async function buildInitramfs(opts: InitramfsOptions, again = false): Promise<Initramfs> {
  const wanted = opts.modules ?? opts.kernel.bootModules;
  const dir = join(opts.kernel.cacheDir, 'initramfs');
  const extra = (opts.extra ?? []).map((e) => ({ ...e, data: readHost(e.source, 'initramfs file') }));
  const initSha = initDigest(opts.init, dir);
  const key = sha(
    JSON.stringify({
      v: 2,
      kernel: opts.kernel.sha256,
      modules: wanted,
      init: initSha,
      extra: extra.map((e) => [e.path, e.mode ?? 0o755, sha(e.data)]),
    }),
  ).slice(0, 32);
  const path = join(dir, `${key}.cpio.gz`);
  const listPath = join(dir, `${key}.modules`);
  if (existsSync(path) && existsSync(listPath) && statSync(path).size > 0) {
    return {
      path,
      modules: readFileSync(listPath, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
      cached: true,
    };
  }

  const init = readHost(opts.init, 'the guest init');
  if (sha(init) !== initSha) {
    // Rebuilt since its digest was taken: the key must name what goes in, so once more from the top.
    if (again)
      throw new KernelError('init-changing', `the guest init ${opts.init} changed while its initramfs was built`, {
        fix: 'run again once the build that writes it is done',
      });
    try {
      writeStamp(dir, fileIdentity(opts.init), sha(init), INIT_STAMP);
    } catch {
      /* gone again: the next try says why */
    }
    return buildInitramfs(opts, true);
  }
  let order: string[] = [];
  const entries: CpioEntry[] = [
    // /dev/console: the kernel opens it for init's stdin/stdout/stderr before /init runs.
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'root' },
    { type: 'file', path: 'init', data: init, mode: 0o755 },
  ];
  if (wanted.length > 0) {
    if (!opts.kernel.modulesDir) {
      throw new KernelError(
        'no-modules',
        `kernel ${opts.kernel.name} has no module tree, so it cannot load ${wanted.join(', ')}`,
        { fix: 'use a kernel with these drivers built in, or one from `berth kernels`' },
      );
    }
    const { indexModuleTree, planModules } = await import('./module-tree.js');
    const plan = await planModules(
      indexModuleTree(opts.kernel.modulesDir),
      wanted,
      `kernel ${opts.kernel.name} ${opts.kernel.version}`,
    );
    order = plan.order;
    for (const n of order)
      entries.push({ type: 'file', path: `lib/modules/${n}.ko`, data: plan.data.get(n)!, mode: 0o644 });
  }
  entries.push({ type: 'file', path: 'etc/berth/modules', data: Buffer.from(modulesListFile(order)), mode: 0o644 });
  for (const e of extra) entries.push({ type: 'file', path: e.path, data: e.data, mode: e.mode ?? 0o755 });

  // Loaded here: node:zlib costs 3 ms, and a VM start finds its initramfs cached.
  const { gzipSync } = await import('node:zlib');
  const gz = gzipSync(writeCpio(entries), { level: 6 });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileAtomic(listPath, order.map((n) => `${n}\n`).join(''), 0o644);
  writeFileAtomic(path, gz, 0o644);
  return { path, modules: order, cached: false };
}
