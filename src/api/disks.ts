/** Library side of VM disks: the base disk of an image, and pruning bases of removed images. */
import type { Context } from './context.js';
import type { BaseDisk } from '../disks/base-disk.js';
import type { TransferHook } from '../core/transfer.js';

export interface BaseDiskRequest {
  sizeBytes?: number;
  insecure?: string[];
  onProgress?: (m: string) => void;
  /** Bytes of layer downloads and of the disk build. */
  onTransfer?: TransferHook;
  onWarning?: (m: string) => void;
}

/** Resolve (pull if needed) `ref`, then build or reuse its ext4 base disk. */
export async function baseDiskOf(ctx: Context, ref: string, req: BaseDiskRequest = {}): Promise<BaseDisk> {
  const [{ resolveImage }, { ensureBaseDisk }, { disksDirOf }] = await Promise.all([
    import('../images/resolve.js'),
    import('../disks/base-disk.js'),
    import('../disks/base-names.js'),
  ]);
  const image = await resolveImage(ref, ctx.paths.images, {
    rootless: ctx.rootless,
    ...(req.insecure ? { insecure: req.insecure } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.onTransfer ? { onTransfer: req.onTransfer } : {}),
    ...(req.onWarning ? { onWarning: req.onWarning } : {}),
  });
  return ensureBaseDisk(image, {
    disksDir: disksDirOf(ctx.paths.images),
    rootless: ctx.rootless,
    ...(req.sizeBytes !== undefined ? { sizeBytes: req.sizeBytes } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.onTransfer ? { onTransfer: req.onTransfer } : {}),
    ...(req.onWarning ? { onWarning: req.onWarning } : {}),
  });
}

/** Remove base disks whose image is neither stored nor used by an environment. */
export async function pruneDisksOf(ctx: Context): Promise<number> {
  const [{ ImageIndex }, { readBuiltBusybox }, { disksDirOf, imageKey }, { pruneBaseDisks }] = await Promise.all([
    import('../images/store/image-index.js'),
    import('../images/builtin/busybox-image.js'),
    import('../disks/base-names.js'),
    import('../disks/prune.js'),
  ]);
  const live = new Set<string>();
  const hex = (d: string) => /^sha256:([0-9a-f]{64})$/.exec(d)?.[1];
  for (const r of new ImageIndex(ctx.paths.images).list()) {
    for (const d of [r.digest, r.manifestDigest]) {
      const h = hex(d);
      if (h) live.add(h);
    }
  }
  const busybox = await readBuiltBusybox(ctx.paths.images);
  if (busybox) live.add(imageKey(busybox));
  for (const env of ctx.store.list()) {
    try {
      live.add(imageKey(env.image));
    } catch {
      /* its dir: image is gone: nothing to keep */
    }
  }
  // A microvm template's frozen disk is a qcow2 over its image's base: keep that base.
  const { listTemplates } = await import('../templates/template-store.js');
  for (const t of listTemplates(ctx.paths)) if (t.machine) live.add(t.machine.baseKey);
  return pruneBaseDisks(disksDirOf(ctx.paths.images), live).removed.length;
}
