/**
 * STOPGAP (replaced by src/kernels/initramfs.ts from the `kernels` work): an initramfs holding
 * only /init (the berth guest init; the 6.1 UML kernel has ext4 and ubd built in, so no
 * modules), written with the host's cpio in newc format, cached per init binary sha256.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { findNative } from '../../host/native-paths.js';
import { HostError } from '../../core/errors.js';

export function guestInitPath(): string {
  const p = findNative('berth-guest-init');
  if (!p) throw new HostError('no-guest-init', 'the guest init berth-guest-init is not built', { fix: 'run "npm run build" (make -C native)' });
  return p;
}

export async function ensureInitramfs(cacheDir: string): Promise<string> {
  const init = guestInitPath();
  const sha = createHash('sha256').update(readFileSync(init)).digest('hex');
  const out = join(cacheDir, `initramfs-${sha.slice(0, 32)}.cpio`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(join(cacheDir, '.initramfs-'));
  try {
    copyFileSync(init, join(tmp, 'init'));
    chmodSync(join(tmp, 'init'), 0o755);
    const res = await execa('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0', '-F', join(tmp, 'out.cpio')], { cwd: tmp, input: 'init\n', reject: false });
    if (res.exitCode !== 0) throw new HostError('initramfs-failed', `cpio failed: ${String(res.stderr).trim()}`, { fix: 'install cpio' });
    renameSync(join(tmp, 'out.cpio'), out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
