/**
 * Host tools berth drives, with their versions. A missing tool is `ok: false` with the Debian
 * package that provides it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type Finding, fail, guard, ok } from './finding.js';
import { findExecutable, run } from './exec.js';

export interface ToolSpec {
  /** Program name, or an absolute path. */
  bin: string;
  /** Debian package that provides it. */
  pkg: string;
  /** Arguments that print the version; omitted: ask dpkg-query for the package version. */
  versionArgs?: string[];
  /** Extracts the version from the program's output (stdout + stderr). */
  versionRe?: RegExp;
}

export const HOST_TOOLS = {
  'qemu-system-x86_64': {
    bin: 'qemu-system-x86_64',
    pkg: 'qemu-system-x86',
    versionArgs: ['--version'],
    versionRe: /version\s+(\S+)/,
  },
  'qemu-img': { bin: 'qemu-img', pkg: 'qemu-utils', versionArgs: ['--version'], versionRe: /version\s+(\S+)/ },
  'linux.uml': {
    bin: '/usr/bin/linux.uml',
    pkg: 'user-mode-linux',
    versionArgs: ['--version'],
    versionRe: /(\d+\.\d+[^\s]*)/,
  },
  newuidmap: { bin: 'newuidmap', pkg: 'uidmap' },
  gpgv: { bin: 'gpgv', pkg: 'gpgv', versionArgs: ['--version'], versionRe: /gpgv \(GnuPG\)\s+(\S+)/ },
  mke2fs: { bin: 'mke2fs', pkg: 'e2fsprogs', versionArgs: ['-V'], versionRe: /mke2fs\s+(\S+)/ },
  busybox: { bin: 'busybox', pkg: 'busybox-static', versionArgs: [], versionRe: /BusyBox\s+v?(\S+)/ },
} satisfies Record<string, ToolSpec>;

export type HostToolName = keyof typeof HOST_TOOLS;

/**
 * Pure: is this ELF image statically linked (no PT_INTERP program header)? `undefined` when the
 * buffer is not a complete-enough 64- or 32-bit little/big endian ELF header + program headers.
 */
export function isStaticElf(buf: Buffer): boolean | undefined {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const phoff = is64 ? Number(le ? buf.readBigUInt64LE(32) : buf.readBigUInt64BE(32)) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  if (phentsize === 0 || phoff + phnum * phentsize > buf.length) return undefined;
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/** Read the first bytes of a file and say whether it is a static ELF (never throws). */
export function fileIsStaticElf(path: string): boolean | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return isStaticElf(buf.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function dpkgVersion(pkg: string): Promise<string | undefined> {
  const dq = findExecutable('dpkg-query');
  if (!dq) return undefined;
  const r = await run([dq, '-W', '-f=${Version}', pkg], { timeoutMs: 3000 });
  const v = r.stdout.trim();
  return r.status === 0 && v !== '' ? v : undefined;
}

export function probeTool(spec: ToolSpec): Promise<Finding> {
  return guard(spec.bin, async () => {
    const path = findExecutable(spec.bin);
    if (!path) return fail(`not installed (apt-get install ${spec.pkg})`);
    let version: string | undefined;
    if (spec.versionArgs && spec.versionRe) {
      const r = await run([path, ...spec.versionArgs], { timeoutMs: 3000 });
      version = spec.versionRe.exec(`${r.stdout}\n${r.stderr}`)?.[1];
    }
    version ??= await dpkgVersion(spec.pkg);
    let detail = `${path}${version ? ` ${version}` : ' (version unknown)'}`;
    if (spec.pkg === 'busybox-static') {
      const st = fileIsStaticElf(path);
      detail += st === true ? ', static' : st === false ? ', dynamically linked (apt-get install busybox-static)' : '';
      if (st === false) return fail(detail, version);
    }
    return ok(detail, version);
  });
}

export function probeHostTool(name: HostToolName): Promise<Finding> {
  return probeTool(HOST_TOOLS[name]);
}

/** Every host tool, probed concurrently. */
export async function probeHostTools(): Promise<Record<HostToolName, Finding>> {
  const names = Object.keys(HOST_TOOLS) as HostToolName[];
  const found = await Promise.all(names.map((n) => probeHostTool(n)));
  return Object.fromEntries(names.map((n, i) => [n, found[i]])) as Record<HostToolName, Finding>;
}
