/**
 * `berth commit`: an environment's overlay upper dir becomes one new layer on top of its image,
 * recorded in the image index under a registry-style reference, so `berth run REF` finds it
 * without a registry (src/images/oci-image.ts looks the canonical ref up before pulling).
 * See docs/adr/0011-commit.md.
 */
import { existsSync } from 'node:fs';
import type { ResolvedImage } from '../image.js';
import type { RegistryImageRef } from '../ref.js';
import { BlobStore } from '../store/blob-store.js';
import { MANIFEST_TYPES } from '../registry/media-types.js';
import { hostPlatform } from '../registry/platform.js';
import { ImageError } from '../../core/errors.js';
import { layerBlobFromDir, makeIdMapper, type IdMapper, type IdRange } from './layer.js';
import { recordImage } from '../sources/stored-image.js';
import type { DiskLayerOptions } from './disk-layer.js';

export { layerBlobFromDir, tarOfDir, findOpaqueDirs, makeIdMapper, LAYER_MEDIA_TYPE } from './layer.js';

export interface CommitOptions {
  imagesDir: string;
  /** chroot, container: the overlay upper dir holding the changes. */
  envUpperDir?: string;
  /** uml, microvm: the flattened environment disk and its base, diffed instead (ADR 0058). */
  disk?: DiskLayerOptions;
  base: ResolvedImage;
  ref: RegistryImageRef;
  rootless: boolean;
  message?: string;
  /** Rootless id maps (inside <- outside) used to map file owners back; default: caller -> 0. */
  idMaps?: { uid: IdRange[]; gid: IdRange[] };
  /** The environment's user bind-mount targets (their empty placeholders are not content). */
  bindTargets?: string[];
  /** Also recorded in the history entry (Docker's "author"). */
  author?: string;
  /**
   * The environment's effective ENTRYPOINT and CMD (its record's command): they replace the base's,
   * as Docker's commit writes the container's config. Absent: the base's are kept.
   */
  command?: { entrypoint: string[]; cmd: string[] };
  /** The environment's -e variables: they replace the base's of the same name, the rest follow (Docker). */
  env?: Record<string, string>;
  onWarning?: (msg: string) => void;
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Desc;
  layers: Desc[];
  annotations?: Record<string, string>;
}
interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}
interface RawConfig {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: Record<string, unknown>;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: HistoryEntry[];
  [k: string]: unknown;
}

/** The base image's manifest when it is in the blob store (a pulled or committed image). */
function storedManifest(store: BlobStore, base: ResolvedImage): Manifest | undefined {
  if (!/^sha256:[0-9a-f]{64}$/.test(base.digest) || !store.has(base.digest)) return undefined;
  let m: Partial<Manifest> & { mediaType?: string };
  try {
    m = store.readJson(base.digest);
  } catch {
    return undefined;
  }
  if (!m.config || !Array.isArray(m.layers)) return undefined;
  if (m.mediaType !== undefined && !MANIFEST_TYPES.has(m.mediaType)) return undefined;
  for (const d of [m.config, ...m.layers]) {
    if (!store.has(d.digest)) {
      throw new ImageError(
        'base-incomplete',
        `blob ${d.digest} of the base image ${base.ref} is missing from the store`,
        {
          fix: `pull ${base.ref} again, then commit`,
        },
      );
    }
  }
  return m as Manifest;
}

/** An OCI config for an image that has none in the store (builtin busybox, dir:). */
function freshConfig(base: ResolvedImage): RawConfig {
  const p = hostPlatform();
  const c: Record<string, unknown> = { Env: Object.entries(base.config.env).map(([k, v]) => `${k}=${v}`) };
  if (base.config.cmd.length > 0) c.Cmd = [...base.config.cmd];
  if (base.config.entrypoint.length > 0) c.Entrypoint = [...base.config.entrypoint];
  if (base.config.workdir) c.WorkingDir = base.config.workdir;
  if (base.config.user) c.User = base.config.user;
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: c,
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** Env of the new image: the base's, with the environment's -e variables replacing or following them. */
export function mergeEnv(base: readonly string[], run: Record<string, string>): string[] {
  const key = (kv: string) => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv);
  const replaced = base.map((kv) => (Object.hasOwn(run, key(kv)) ? `${key(kv)}=${run[key(kv)]}` : kv));
  const have = new Set(base.map(key));
  return [...replaced, ...Object.entries(run).flatMap(([k, v]) => (have.has(k) ? [] : [`${k}=${v}`]))];
}

/** Entrypoint and Cmd of the new image: an empty one is absent (Docker writes null). */
function setCommand(config: RawConfig, command: { entrypoint: string[]; cmd: string[] }): void {
  const c = (config.config ??= {});
  for (const [key, value] of [
    ['Entrypoint', command.entrypoint],
    ['Cmd', command.cmd],
  ] as const) {
    if (value.length > 0) c[key] = [...value];
    else delete c[key];
  }
}

export async function commitEnvironment(opts: CommitOptions): Promise<{ ref: string; digest: string }> {
  if (!opts.disk && (opts.envUpperDir === undefined || !existsSync(opts.envUpperDir))) {
    throw new ImageError('no-upper-dir', `the environment has no upper directory ${opts.envUpperDir}`, {
      fix: 'commit an environment of a backend that uses an overlay (chroot, container)',
    });
  }
  const store = new BlobStore(opts.imagesDir);
  store.ensureDirs();
  const ids: IdMapper = makeIdMapper(opts.rootless, opts.idMaps);
  const now = new Date().toISOString();

  // 1. The base: its stored manifest and config, or one layer made of its directories.
  let layers: Desc[];
  let config: RawConfig;
  const stored = storedManifest(store, opts.base);
  if (stored) {
    layers = stored.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
    config = store.readJson<RawConfig>(stored.config.digest);
    config.rootfs = { type: 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? [])] };
    config.history = [...(config.history ?? [])];
  } else {
    config = freshConfig(opts.base);
    layers = [];
    // layers are topmost first; the blobs go bottom first.
    for (const dir of [...opts.base.layers].reverse()) {
      const b = await layerBlobFromDir(store, dir, { upper: false, rootless: opts.rootless, ids });
      layers.push({ mediaType: b.mediaType, digest: b.digest, size: b.size });
      config.rootfs!.diff_ids!.push(b.diffId);
      config.history!.push({ created: now, created_by: `berth: base image ${opts.base.ref} (${opts.base.digest})` });
    }
  }

  if (opts.command) setCommand(config, opts.command);
  if (opts.env && Object.keys(opts.env).length > 0) {
    const c = (config.config ??= {});
    c.Env = mergeEnv(Array.isArray(c.Env) ? (c.Env as string[]) : [], opts.env);
  }

  // 2. The changes.
  const top = opts.disk
    ? await (await import('./disk-layer.js')).layerBlobFromDisks(store, {
        ...opts.disk,
        ...(opts.bindTargets ? { mountTargets: opts.bindTargets } : {}),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      })
    : await layerBlobFromDir(store, opts.envUpperDir!, {
        upper: true,
        rootless: opts.rootless,
        ids,
        ...(opts.bindTargets ? { bindTargets: opts.bindTargets } : {}),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      });
  layers.push({ mediaType: top.mediaType, digest: top.digest, size: top.size });
  config.rootfs!.diff_ids!.push(top.diffId);
  config.history!.push({
    created: now,
    created_by: 'berth commit',
    ...(opts.message ? { comment: opts.message } : {}),
    ...(opts.author ? { author: opts.author } : {}),
  });
  config.created = now;
  if (opts.author) config.author = opts.author;

  // 3. Config, manifest, index record.
  const manifestDigest = await recordImage(opts.imagesDir, [opts.ref.canonical], layers, config);
  return { ref: opts.ref.canonical, digest: manifestDigest };
}
