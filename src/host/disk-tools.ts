/**
 * The host tools the disks step drives (mke2fs, debugfs, e2fsck, qemu-img, unshare, sh, du):
 * found on $PATH or in the system dirs, run without a shell, failures as one-line DiskErrors.
 */
import { DiskError } from '../core/errors.js';
import { findExecutable, firstLine, run } from './probes/exec.js';

const PACKAGES: Record<string, string> = {
  mke2fs: 'e2fsprogs',
  debugfs: 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  'qemu-img': 'qemu-utils',
  unshare: 'util-linux',
  du: 'coreutils',
  cp: 'coreutils',
  sh: 'dash',
};

/** Absolute path of `name`, or a DiskError naming the package to install. */
export function diskTool(name: string): string {
  const p = findExecutable(name);
  if (!p)
    throw new DiskError('disk-tool-missing', `${name} not found, needed to build VM disks`, {
      fix: `install ${PACKAGES[name] ?? name}`,
    });
  return p;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** Run argv to completion; non-zero exit, a signal or a timeout is a DiskError saying what failed. */
export async function runDiskTool(
  argv: string[],
  what: string,
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<ToolOutput> {
  const r = await run(argv, { timeoutMs: opts.timeoutMs ?? 30 * 60_000, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  if (r.status !== 0) {
    const why = firstLine(r) || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
    throw new DiskError('disk-tool-failed', `${what} failed: ${why}`, {
      fix: 'see the message; "berth doctor" checks the host tools',
    });
  }
  return { stdout: r.stdout, stderr: r.stderr };
}
