/**
 * Rootless layers unpacked before they carried mapped sub-id owners keep the image's owners,
 * device nodes and privileged xattrs in `<layer>.meta.json` (ADR 0010). This turns those records
 * into a debugfs script applied to the finished base, so the disk says what the image says in
 * both states (a record that matches the file already is harmless). Pure, unit-tested.
 *
 * For each path the topmost layer that records it wins. An entry a higher layer hides (a whiteout
 * or a non-directory at the path or at a parent) is skipped; `hidden(layerIndex, rel)` answers that.
 */
import type { LayerMetaFile } from '../images/unpack/layer-meta.js';

type MetaEntry = LayerMetaFile['entries'][string];

export interface MetaScript {
  /** debugfs commands, one per line. */
  commands: string[];
  /** Values for `ea_set -f`: file name (in the script's dir) -> bytes. */
  xattrFiles: Map<string, Buffer>;
  /** Paths debugfs cannot name (quote or newline in them), left as they are. */
  unnamed: string[];
}

const TYPE_BITS: Record<string, number> = { char: 0o020000, block: 0o060000, fifo: 0o010000 };

/** A debugfs argument: double-quoted; undefined when the path cannot be quoted. */
export function debugfsQuote(path: string): string | undefined {
  if (/["\n\r\\]/.test(path)) return undefined;
  return `"${path}"`;
}

/** Whether the rootless unpacker recorded this xattr without setting it (only user.* are set). */
function unsetXattr(name: string): boolean {
  return !name.startsWith('user.');
}

/** Owners (and a skipped device node) of one recorded entry. */
function entryCommands(abs: string, q: string, e: MetaEntry): string[] {
  const cmds: string[] = [];
  if (e.skipped && (e.type === 'char' || e.type === 'block')) {
    // debugfs makes a node in its cwd only; the parent exists (the layer has it, nothing hides it).
    const slash = abs.lastIndexOf('/');
    const dir = debugfsQuote(abs.slice(0, slash) || '/')!;
    const name = debugfsQuote(abs.slice(slash + 1))!;
    cmds.push(
      `cd ${dir}`,
      `mknod ${name} ${e.type === 'char' ? 'c' : 'b'} ${e.devmajor ?? 0} ${e.devminor ?? 0}`,
      'cd /',
    );
    cmds.push(`sif ${q} mode 0${((TYPE_BITS[e.type] ?? 0) | (e.mode & 0o7777)).toString(8)}`);
  }
  if (e.type === 'hardlink') return cmds; // one inode: its owner comes with the first name
  if (e.uid !== 0) cmds.push(`sif ${q} uid ${e.uid}`);
  if (e.gid !== 0) cmds.push(`sif ${q} gid ${e.gid}`);
  // The rootless unpacker's chmod may have lost setgid (group not the caller's); say the mode.
  if (e.mode & 0o6000 && e.type === 'file') cmds.push(`sif ${q} mode 0${(0o100000 | (e.mode & 0o7777)).toString(8)}`);
  return cmds;
}

/**
 * @param metas   per layer, topmost first: its meta.json, or undefined (a root layer: owners are on disk)
 * @param hidden  whether a layer above `layer` hides `rel` in the merged view
 * @param xattrDir absolute dir where the caller writes `xattrFiles`
 */
export function metaScript(
  metas: Array<LayerMetaFile | undefined>,
  hidden: (layer: number, rel: string) => boolean,
  xattrDir: string,
): MetaScript {
  const out: MetaScript = { commands: [], xattrFiles: new Map(), unnamed: [] };
  const decided = new Set<string>();
  metas.forEach((meta, layer) => {
    if (!meta) return;
    for (const [rel, e] of Object.entries(meta.entries)) {
      if (decided.has(rel)) continue;
      decided.add(rel);
      const abs = `/${rel}`;
      const q = debugfsQuote(abs);
      if (!q) {
        out.unnamed.push(abs);
        continue;
      }
      const cmds = entryCommands(abs, q, e);
      const xattrs = Object.entries(e.xattrs ?? {}).filter(
        ([name]) => unsetXattr(name) && /^[A-Za-z0-9._-]+$/.test(name),
      );
      if (cmds.length + xattrs.length === 0 || (layer > 0 && hidden(layer, rel))) continue;
      out.commands.push(...cmds);
      for (const [name, b64] of xattrs) {
        const file = `x${out.xattrFiles.size}`;
        out.xattrFiles.set(file, Buffer.from(b64, 'base64'));
        out.commands.push(`ea_set -f ${debugfsQuote(`${xattrDir}/${file}`) ?? `${xattrDir}/${file}`} ${q} ${name}`);
      }
    }
  });
  return out;
}
