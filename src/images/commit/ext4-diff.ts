/**
 * What changed between an image's base disk and an environment's disk, as the entries of one OCI
 * layer with the same whiteout semantics as an overlay upper dir (ADR 0011, ADR 0058). Pure.
 *
 * The environment's disk is the base plus what the guest wrote, so an untouched file keeps its
 * inode number and its inode's bytes. Walking both trees by name:
 *  - a name only in the environment: added (a directory with everything under it);
 *  - a name in both with another inode number, generation or file type: replaced; a directory
 *    replaced by a directory becomes opaque (as overlayfs marks a directory removed and re-made);
 *  - the same inode whose bytes changed (other than the access time): changed; a directory is
 *    written when its mode or owner changed or something under it is written (overlayfs copies
 *    the parents of a changed file up too);
 *  - a name only in the base: a whiteout.
 * Not content (dropped, as the shim's placeholders in ADR 0011): /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, which the guest init writes at every boot; and, when added and empty, /proc,
 * /sys, /dev, /lib/modules/RELEASE and the environment's mount targets (the init makes them to
 * mount on), with added parent directories that held nothing else.
 */
import { type DirEntry, type Ext4Tree, ROOT_INO, isDir } from './ext4-tree.js';
import { decodeInode, inodeChanged } from './ext4-inode.js';

export type LayerChange =
  | { kind: 'entry'; rel: string; ino: number }
  | { kind: 'opaque'; rel: string }
  | { kind: 'whiteout'; rel: string };

/** Written by the guest init at boot: never content of a commit. */
const INIT_FILES = new Set(['etc/hostname', 'etc/hosts', 'etc/resolv.conf']);
const MOUNT_POINTS = new Set(['proc', 'sys', 'dev']);

export interface DiffOptions {
  /** The environment's mount targets (absolute paths in the guest). */
  mountTargets?: string[];
}

const toRel = (p: string) =>
  p
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');

function placeholderTest(opts: DiffOptions): (rel: string) => boolean {
  const targets = new Set((opts.mountTargets ?? []).map(toRel));
  return (rel) => MOUNT_POINTS.has(rel) || targets.has(rel) || /^lib\/modules\/[^/]+$/.test(rel);
}

export function diffTrees(base: Ext4Tree, env: Ext4Tree, opts: DiffOptions = {}): LayerChange[] {
  const isPlaceholder = placeholderTest(opts);
  const type = (mode: number) => mode & 0o170000;
  const sameIdentity = (b: DirEntry, e: DirEntry) =>
    b.ino === e.ino &&
    type(b.mode) === type(e.mode) &&
    decodeInode(base.inodes.get(b.ino)!).generation === decodeInode(env.inodes.get(e.ino)!).generation;

  /** Everything under an added directory; undefined when it held only placeholders (dropped). */
  const added = (e: DirEntry, rel: string): LayerChange[] | undefined => {
    const self: LayerChange = { kind: 'entry', rel, ino: e.ino };
    if (!isDir(e.mode)) {
      const empty = decodeInode(env.inodes.get(e.ino)!).size === 0;
      return isPlaceholder(rel) && empty ? undefined : [self];
    }
    const children = env.dirs.get(e.ino) ?? [];
    if (children.length === 0) return isPlaceholder(rel) ? undefined : [self];
    const below: LayerChange[] = [];
    let dropped = 0;
    for (const c of children) {
      const sub = added(c, `${rel}/${c.name}`);
      if (sub) below.push(...sub);
      else dropped++;
    }
    if (below.length === 0 && dropped > 0) return undefined;
    return [self, ...below];
  };

  const walk = (baseDir: number, envDir: number, prefix: string): LayerChange[] => {
    const out: LayerChange[] = [];
    const inBase = new Map((base.dirs.get(baseDir) ?? []).map((b) => [b.name, b]));
    const inEnv = new Set<string>();
    for (const e of env.dirs.get(envDir) ?? []) {
      inEnv.add(e.name);
      const rel = `${prefix}${e.name}`;
      if (INIT_FILES.has(rel) && !isDir(e.mode)) continue;
      const b = inBase.get(e.name);
      if (!b) {
        out.push(...(added(e, rel) ?? []));
      } else if (!sameIdentity(b, e)) {
        const sub = added(e, rel) ?? [];
        out.push(...sub);
        if (isDir(b.mode) && isDir(e.mode) && sub.length > 0)
          out.splice(out.length - sub.length + 1, 0, { kind: 'opaque', rel });
      } else if (isDir(e.mode)) {
        const below = walk(b.ino, e.ino, `${rel}/`);
        const was = decodeInode(base.inodes.get(b.ino)!);
        const now = decodeInode(env.inodes.get(e.ino)!);
        const metaChanged = was.mode !== now.mode || was.uid !== now.uid || was.gid !== now.gid;
        if (below.length > 0 || metaChanged) out.push({ kind: 'entry', rel, ino: e.ino }, ...below);
      } else if (inodeChanged(base.inodes.get(b.ino)!, env.inodes.get(e.ino)!)) {
        out.push({ kind: 'entry', rel, ino: e.ino });
      }
    }
    for (const [name] of inBase) {
      const rel = `${prefix}${name}`;
      if (!inEnv.has(name) && !INIT_FILES.has(rel)) out.push({ kind: 'whiteout', rel });
    }
    return out;
  };

  return walk(ROOT_INO, ROOT_INO, '');
}
