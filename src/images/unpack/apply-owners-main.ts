/**
 * Cold entry run as root of a user namespace with the caller's sub-id maps
 * (`berth-shim unshare ... -- node apply-owners-main.js LAYER META MAXUID MAXGID`):
 * gives a rootless layer's files the owners its `.meta.json` records, then re-applies
 * the modes (chown clears setuid/setgid). Every path is checked to still be the type the
 * layer recorded, below a real directory of the layer, before it is touched. Prints
 * `{"changed":N,"unmapped":[...]}` on stdout; any failure exits 1 with one line on stderr.
 */
import { chmodSync, lchownSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { ownerPlan } from './owner-plan.js';
import type { LayerMetaFile } from './layer-meta.js';

function typeOf(st: Stats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'other';
}

function main(argv: string[]): void {
  const [layer, metaPath, maxUidArg, maxGidArg] = argv;
  if (!layer || !metaPath || maxUidArg === undefined || maxGidArg === undefined)
    throw new Error('usage: apply-owners-main LAYER META MAXUID MAXGID');
  if (process.getuid?.() !== 0) throw new Error('must run as root of a user namespace (berth-shim unshare)');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as LayerMetaFile;
  if (meta.version !== 1 || typeof meta.entries !== 'object') throw new Error(`${metaPath}: not a layer meta file`);
  const root = realpathSync(layer);
  const plan = ownerPlan(meta, Number(maxUidArg), Number(maxGidArg));
  const realDirs = new Set<string>([root]);
  let changed = 0;
  for (const op of plan.ops) {
    const p = op.rel === '' ? root : join(root, op.rel);
    const parent = dirname(p);
    if (op.rel !== '' && !realDirs.has(parent)) {
      const real = realpathSync(parent);
      if (real !== parent || !(real === root || real.startsWith(root + sep)))
        throw new Error(`${op.rel}: parent is not a directory of the layer`);
      realDirs.add(parent);
    }
    const st = lstatSync(p);
    if (typeOf(st) !== op.type) throw new Error(`${op.rel}: is a ${typeOf(st)}, the layer recorded a ${op.type}`);
    lchownSync(p, op.uid, op.gid);
    if (op.mode !== undefined) chmodSync(p, op.mode); // after chown, which clears setuid/setgid
    changed++;
  }
  process.stdout.write(
    `${JSON.stringify({ changed, unmapped: plan.unmapped.slice(0, 20), unmappedCount: plan.unmapped.length })}\n`,
  );
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`apply-owners: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
