/**
 * One kernel's module tree on disk (`<modules>/<release>/kernel/...`, modules.builtin): an index
 * of module name -> file, reading (and decompressing) modules, and their load order.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { KernelError } from '../core/errors.js';
import { moduleDepends, moduleNameOfFile, ModinfoError } from './modinfo.js';
import { moduleLoadOrder, parseModulesBuiltin } from './module-closure.js';

export interface ModuleTree {
  /** The `<release>` directory. */
  dir: string;
  /** Module name -> path relative to dir. */
  files: Map<string, string>;
  builtin: Set<string>;
}

export function indexModuleTree(dir: string): ModuleTree {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const name = moduleNameOfFile(e.name);
        if (name && !files.has(name)) files.set(name, relative(dir, p));
      }
    }
  };
  try {
    walk(dir);
  } catch (e) {
    throw new KernelError('modules-unreadable', `cannot read the module tree ${dir}: ${(e as Error).message}`, {
      fix: 'remove the kernel from the cache (rm -rf its directory) and run again',
      cause: e,
    });
  }
  let builtin = new Set<string>();
  try {
    builtin = parseModulesBuiltin(readFileSync(join(dir, 'modules.builtin'), 'utf8'));
  } catch {
    /* no list: nothing is known to be built in */
  }
  return { dir, files, builtin };
}

async function xzDecompress(data: Buffer): Promise<Buffer> {
  const { XzReadableStream } = (await import('xz-decompress')).default;
  const web = new XzReadableStream(Readable.toWeb(Readable.from([data])) as unknown as ReadableStream<Uint8Array>);
  const chunks: Buffer[] = [];
  for await (const c of Readable.fromWeb(web as unknown as import('node:stream/web').ReadableStream))
    chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The module's ELF bytes, decompressed when the package ships .ko.xz/.ko.zst/.ko.gz. */
export async function readModule(tree: ModuleTree, name: string): Promise<Buffer> {
  const rel = tree.files.get(name);
  if (!rel)
    throw new KernelError('module-missing', `no module ${name} in ${tree.dir}`, { fix: 'use a kernel that has it' });
  const raw = readFileSync(join(tree.dir, rel));
  try {
    if (rel.endsWith('.xz')) return await xzDecompress(raw);
    if (rel.endsWith('.gz')) return gunzipSync(raw);
    if (rel.endsWith('.zst')) {
      const { zstdDecompress } = await import('../host/zstd.js');
      return await zstdDecompress(raw, rel);
    }
  } catch (e) {
    if (e instanceof KernelError || (e as { area?: string }).area === 'host') throw e;
    throw new KernelError('module-corrupt', `cannot decompress module ${rel}: ${(e as Error).message}`, {
      fix: 'remove the kernel from the cache and fetch it again',
      cause: e,
    });
  }
  return raw;
}

export interface LoadPlan {
  /** Module names, dependencies first. */
  order: string[];
  /** Decompressed module bytes by name. */
  data: Map<string, Buffer>;
}

/** Read `wanted` and their dependencies (from each module's modinfo) in load order. */
export async function planModules(tree: ModuleTree, wanted: string[], kernel: string): Promise<LoadPlan> {
  const data = new Map<string, Buffer>();
  const deps = new Map<string, string[]>();
  // modinfo needs the bytes, and reading is async: resolve the dependency graph breadth first, then order it.
  const queue = wanted.map((w) => w.replace(/-/g, '_'));
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (deps.has(n) || tree.builtin.has(n) || !tree.files.has(n)) continue;
    const ko = await readModule(tree, n);
    let d: string[];
    try {
      d = moduleDepends(ko);
    } catch (e) {
      if (e instanceof ModinfoError)
        throw new KernelError('module-corrupt', `module ${n} of ${kernel} is unreadable: ${e.message}`, {
          fix: 'remove the kernel from the cache and fetch it again',
        });
      throw e;
    }
    data.set(n, ko);
    deps.set(n, d);
    queue.push(...d);
  }
  const order = moduleLoadOrder(
    { wanted, builtin: tree.builtin, has: (n) => deps.has(n), depends: (n) => deps.get(n) ?? [] },
    kernel,
  );
  return { order, data };
}
