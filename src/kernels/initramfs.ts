/**
 * The initramfs of both VM backends (guest boot contract): `/init` (the guest init), one
 * `/lib/modules/<name>.ko` per module to load (decompressed), `/etc/berth/modules` (their file
 * names in load order). Written as cpio newc + gzip in TypeScript and cached per (kernel, module
 * set, init SHA256) as `<kernel cache dir>/initramfs/<key>.cpio.gz`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { KernelError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import type { Kernel } from './kernel.js';
import { writeCpio, type CpioEntry } from './cpio.js';

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

/** The lines of /etc/berth/modules for modules in load order. Pure. */
export function modulesListFile(order: string[]): string {
  return order.map((n) => `${n}.ko\n`).join('');
}

export async function buildInitramfs(opts: InitramfsOptions): Promise<Initramfs> {
  const wanted = opts.modules ?? opts.kernel.bootModules;
  const init = readHost(opts.init, 'the guest init');
  const extra = (opts.extra ?? []).map((e) => ({ ...e, data: readHost(e.source, 'initramfs file') }));
  const key = sha(
    JSON.stringify({
      v: 2,
      kernel: opts.kernel.sha256,
      modules: wanted,
      init: sha(init),
      extra: extra.map((e) => [e.path, e.mode ?? 0o755, sha(e.data)]),
    }),
  ).slice(0, 32);
  const dir = join(opts.kernel.cacheDir, 'initramfs');
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

  const gz = gzipSync(writeCpio(entries), { level: 6 });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileAtomic(listPath, order.map((n) => `${n}\n`).join(''), 0o644);
  writeFileAtomic(path, gz, 0o644);
  return { path, modules: order, cached: false };
}
