/**
 * The kernel cache: `<root>/kernels/<name>/<version>/` holding `kernel`, `modules/<release>/`,
 * `kernel.json` (a KernelRecord), `kernel.verified` (the kernel file's identity when its digest last
 * matched, verified-stamp.ts) and `initramfs/`. A version directory appears only by rename of a
 * complete temporary one, so whatever is there is whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { KernelError } from '../core/errors.js';
import type { Kernel, KernelRecord } from './kernel.js';
import { fileIdentity, readStamp, stampVouches, writeStamp, type FileIdentity } from './verified-stamp.js';

export const RECORD = 'kernel.json';
const VERSION_RE = /^[A-Za-z0-9.+~:_-]{1,128}$/;

export function versionDirName(version: string): string {
  if (!VERSION_RE.test(version) || version === '.' || version === '..') {
    throw new KernelError('bad-version', `refusing kernel version "${version}"`, {
      fix: 'the package index is malformed; use another mirror',
    });
  }
  return version;
}

export function readRecord(dir: string): KernelRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, RECORD), 'utf8')) as KernelRecord;
    return typeof r.name === 'string' && typeof r.version === 'string' && typeof r.sha256 === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

export function kernelOf(dir: string, r: KernelRecord): Kernel {
  const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const k: Kernel = {
    name: r.name,
    version: r.version,
    format: r.format,
    kernel: abs(r.kernel),
    bootModules: r.bootModules,
    sha256: r.sha256,
    cacheDir: dir,
    origin: r.origin,
  };
  if (r.release) k.release = r.release;
  if (r.modulesDir) k.modulesDir = abs(r.modulesDir);
  if (r.origin === 'mirror' && r.package.url && r.package.sha256)
    k.package = { name: r.package.name, url: r.package.url, sha256: r.package.sha256 };
  return k;
}

export interface CachedEntry {
  dir: string;
  record: KernelRecord;
}

/** Complete cached versions of kernel `name`, newest fetch first. */
export function cachedVersions(kernelsRoot: string, name: string): CachedEntry[] {
  const base = join(kernelsRoot, name);
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return [];
  }
  const out: CachedEntry[] = [];
  for (const v of names) {
    if (v.startsWith('.')) continue; // temporary directories of an install in progress
    const dir = join(base, v);
    const record = readRecord(dir);
    if (record && record.name === name) out.push({ dir, record });
  }
  return out.sort((a, b) => b.record.fetchedAt.localeCompare(a.record.fetchedAt));
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Check the cached kernel file against its record (size and SHA256). The hash is skipped while
 * the file is the one a previous check hashed (verified-stamp.ts). `hash`: for tests.
 */
export async function verifyCached(entry: CachedEntry, hash = sha256File): Promise<Kernel> {
  const k = kernelOf(entry.dir, entry.record);
  const fix = `remove ${entry.dir} and run again to fetch it anew`;
  let id: FileIdentity;
  try {
    id = fileIdentity(k.kernel);
  } catch {
    throw new KernelError('kernel-missing', `the cached kernel ${k.kernel} is gone`, { fix });
  }
  const { sha256, size } = entry.record;
  if (id.size === String(size) && stampVouches(readStamp(entry.dir), id, sha256)) return k;
  if (id.size !== String(size) || (await hash(k.kernel)) !== sha256) {
    throw new KernelError(
      'kernel-digest-mismatch',
      `the kernel ${k.kernel} does not match the SHA256 recorded when it was fetched (${sha256})`,
      { fix },
    );
  }
  writeStamp(entry.dir, id, sha256);
  return k;
}
