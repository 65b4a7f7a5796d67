/**
 * overlayfs: listed in /proc/filesystems (or loadable); for a normal user, a real try of a
 * rootless mount (`userxattr`) inside `unshare --user --map-root-user --mount`, on temp dirs in
 * the directory berth will use (the upper dir's filesystem must support user xattrs).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, chmodSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Finding, fail, guard, ok, reason } from './finding.js';
import { findExecutable, firstLine, isRootUser, readText, run } from './exec.js';

/** Pure: is `name` listed in a /proc/filesystems text? */
export function hasFilesystem(procFilesystems: string, name: string): boolean {
  return procFilesystems.split('\n').some((l) => l.trim().split(/\s+/).pop() === name);
}

/**
 * Remove a tree even when overlayfs left a mode-000 `work/work` dir in it (owned by this user,
 * so a chmod is enough). Never throws.
 */
export function removeTree(dir: string): void {
  const fix = (p: string): void => {
    try {
      const st = lstatSync(p);
      if (!st.isDirectory()) return;
      chmodSync(p, 0o700);
      for (const e of readdirSync(p)) fix(join(p, e));
    } catch {
      /* best effort */
    }
  };
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    fix(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* leave it: it is in a temp dir */
    }
  }
}

export function probeOverlayfs(opts: { dir?: string } = {}): Promise<Finding> {
  return guard('overlayfs', async () => {
    const listed = hasFilesystem(readText('/proc/filesystems') ?? '', 'overlay');
    const module = existsSync('/sys/module/overlay') || existsSync(`/lib/modules/${release()}/kernel/fs/overlayfs`);
    if (!listed && !module)
      return fail('overlayfs not in /proc/filesystems and no overlay module found (modprobe overlay)');
    const how = listed ? 'in /proc/filesystems' : 'module not loaded yet (autoloads on first mount)';
    if (isRootUser()) return ok(`available (${how}); root mounts it directly`, 'root');

    const unshare = findExecutable('unshare');
    const sh = findExecutable('sh');
    if (!unshare || !sh) return fail(`${how}, but cannot try a rootless mount: unshare or sh missing`);
    const base = opts.dir ?? tmpdir();
    let tmp: string | undefined;
    try {
      mkdirSync(base, { recursive: true });
      tmp = mkdtempSync(join(base, '.berth-ovl-probe-'));
      for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(tmp, d));
      writeFileSync(join(tmp, 'lower', 'f'), 'x');
      // Mount, write a file, and delete a lower file (needs a whiteout in upper).
      const script =
        'mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work,userxattr" "$1/merged" && ' +
        'echo y > "$1/merged/new" && rm "$1/merged/f"';
      const r = await run([unshare, '--user', '--map-root-user', '--mount', sh, '-c', script, 'sh', tmp], {
        timeoutMs: 5000,
      });
      if (r.status === 0) return ok(`rootless overlay mount with userxattr works on ${base} (${how})`, 'userxattr');
      return fail(
        `rootless overlay mount (userxattr) failed on ${base}: ${firstLine(r) || `exit ${r.status ?? r.signal}`} (needs Linux >= 5.11 and user xattrs on that filesystem)`,
      );
    } catch (e) {
      return fail(`cannot try a rootless overlay mount in ${base}: ${reason(e)}`);
    } finally {
      if (tmp) removeTree(tmp);
    }
  });
}
