/**
 * Registry images for the backends: pull if not in the store (as `docker run` does), unpack each
 * layer once into <imagesDir>/layers/<hex> (shared by every image and environment that uses it),
 * and hand the layer dirs (topmost first) and the config to the driver.
 */
import type { ResolvedImage } from './image.js';
import type { DebianRef, RegistryImageRef } from './ref.js';
import { ImageError } from '../core/errors.js';
import type { TransferHook } from '../core/transfer.js';
import { notStoredError } from './not-stored.js';

export interface OciOptions {
  imagesDir: string;
  rootless: boolean;
  /** Registries spoken to over plain http; loopback registries always are (as Docker does). */
  insecure?: string[];
  onProgress?: (msg: string) => void;
  /** Unpack warnings (skipped device nodes, no sub-ids). */
  onWarning?: (msg: string) => void;
  /** Contact the registry even when the image is stored (`berth pull`). */
  refresh?: boolean;
  /** `--pull never`: refuse an image that is not stored instead of pulling or building it. */
  noPull?: boolean;
  onTransfer?: TransferHook;
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function insecureList(registry: string, extra: string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.BERTH_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...extra, ...fromEnv, ...(isLoopbackRegistry(registry) ? [registry] : [])];
}

/** Without an onWarning hook a warning is dropped: the library never prints. */
const noWarning = (_m: string): void => {};

/** `debian:SUITE[/VARIANT]`: built with mmdebstrap once, then stored like a pulled image (ADR 0014). */
export async function ensureDebian(ref: DebianRef, opts: OciOptions): Promise<ResolvedImage> {
  const { ensureDebianImage } = await import('./debian/debian-image.js');
  return ensureDebianImage(ref, {
    imagesDir: opts.imagesDir,
    rootless: opts.rootless,
    onWarning: opts.onWarning ?? noWarning,
    ...(opts.refresh ? { refresh: true } : {}),
    ...(opts.noPull ? { noPull: true } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
  });
}

export async function ensureOciImage(ref: RegistryImageRef, opts: OciOptions): Promise<ResolvedImage> {
  const [{ BlobStore }, { ImageIndex }, { pullImage }, { resolveManifest }] = await Promise.all([
    import('./store/blob-store.js'),
    import('./store/image-index.js'),
    import('./registry/pull.js'),
    import('./sources/stored-image.js'),
  ]);
  const store = new BlobStore(opts.imagesDir);
  let record = opts.refresh ? undefined : new ImageIndex(opts.imagesDir).get(ref.canonical);
  if (!record || !store.has(record.manifestDigest)) {
    if (opts.noPull) throw notStoredError(ref.canonical);
    opts.onProgress?.(`pulling ${ref.canonical}`);
    const insecure = insecureList(ref.registry, opts.insecure);
    await pullImage(ref, {
      imagesDir: opts.imagesDir,
      insecure,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}),
    });
    record = new ImageIndex(opts.imagesDir).get(ref.canonical);
    if (!record)
      throw new ImageError('not-recorded', `${ref.canonical} was pulled but not recorded`, { fix: 'pull it again' });
  }
  return resolveManifest(ref.canonical, record.manifestDigest, {
    imagesDir: opts.imagesDir,
    rootless: opts.rootless,
    onWarning: opts.onWarning ?? noWarning,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}
