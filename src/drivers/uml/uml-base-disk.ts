/**
 * STOPGAP (replaced by src/disks/ from the `disks` work): the image's shared ext4 base disk,
 * built once per image digest with `mke2fs -d` from the image's files (one layer: directly;
 * several: merged into a temp copy, whiteouts applied). Rootless, mke2fs runs as root of a user
 * namespace with the caller's sub-id maps, so files keep the owners the image gives them.
 * The base is never written: every environment gets its own ubd COW file over it.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedImage } from '../../images/image.js';
import { rootlessIdMaps } from '../../host/id-maps.js';
import { shimPath } from '../../host/native-paths.js';
import { rmtreeArgv, unshareArgv } from '../shared/shim-cmdline.js';
import { HostError } from '../../core/errors.js';

/** Room for writes inside: the file is sparse, so unused space costs nothing on the host. */
export const BASE_DISK_BYTES = 1024 * 1024 * 1024;

const MERGE_SCRIPT = [
  'set -e; out="$1"; shift',
  // Bottom layer first; a whiteout (0:0 char device) removes what lower layers had.
  'for l in "$@"; do cp -a "$l/." "$out/"; done',
  'find "$out" -type c -exec sh -c \'for f; do [ "$(stat -c %t:%T "$f")" = 0:0 ] && rm -f "$f"; done; true\' sh {} +',
].join('\n');

export async function ensureBaseDisk(image: ResolvedImage, opts: { dir: string; rootless: boolean }): Promise<string> {
  const name = image.digest.replace(/^sha256:/, '');
  const out = join(opts.dir, `${name}.ext4`);
  if (existsSync(out)) return out;
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(join(opts.dir, '.build-'));
  try {
    let content = image.layers[0]!;
    const wrap = (cmd: string[]) => {
      if (!opts.rootless) return cmd;
      const maps = rootlessIdMaps();
      return unshareArgv(shimPath(), maps.uid, maps.gid, cmd);
    };
    if (image.layers.length > 1) {
      content = join(tmp, 'merged');
      mkdirSync(content);
      const [c, ...a] = wrap(['sh', '-c', MERGE_SCRIPT, 'merge', content, ...[...image.layers].reverse()]);
      const r = await execa(c!, a, { reject: false });
      if (r.exitCode !== 0) throw new HostError('base-disk-failed', `merging the image layers failed: ${String(r.stderr).trim().split('\n').pop()}`);
    }
    const file = join(tmp, 'base.ext4');
    const [c, ...a] = wrap(['mke2fs', '-q', '-t', 'ext4', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=1,root_owner=0:0', '-d', content, file, `${BASE_DISK_BYTES / 1024}k`]);
    const r = await execa(c!, a, { reject: false });
    if (r.exitCode !== 0) throw new HostError('base-disk-failed', `mke2fs failed: ${String(r.stderr).trim().split('\n').pop()}`, { fix: 'install e2fsprogs' });
    if (!statSync(file).isFile()) throw new HostError('base-disk-failed', 'mke2fs wrote no disk');
    // Never replace a base another environment already uses (its COW file records the base's
    // mtime): the first finished build wins, a concurrent one is dropped.
    try {
      linkSync(file, out);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } finally {
    if (opts.rootless) {
      // Merged files may belong to sub-ids: remove them from inside the same mapping.
      const maps = rootlessIdMaps();
      const [c, ...a] = rmtreeArgv(shimPath(), tmp, true, maps.uid, maps.gid);
      await execa(c!, a, { reject: false });
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
