/**
 * Import an image archive into the store: `oci-archive` (an OCI image layout in a tar, as
 * skopeo and `berth save` write) or `docker-archive` (`docker save`: manifest.json, configs and
 * layer tars). The archive is read once, streaming (the project's own tar reader); every
 * regular file is hashed on the way into the blob store, and a file named after a digest
 * (blobs/sha256/HEX, HEX.json) must hash to it, as must a layer to its config's diff_id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { once } from 'node:events';
import { ImageError } from '../../core/errors.js';
import { BlobStore, DigestMismatchError } from '../store/blob-store.js';
import { ImageIndex, REF_NAME_ANNOTATION } from '../store/image-index.js';
import { INDEX_TYPES, MANIFEST_TYPES } from '../registry/media-types.js';
import { hostPlatform, selectPlatform, type IndexEntry } from '../registry/platform.js';
import { detectCompression } from '../unpack/paths.js';
import { readTar } from '../unpack/tar-reader.js';
import { recordImage, type LayerDesc, type ManifestJson } from './stored-image.js';

export type ArchiveFormat = 'oci-archive' | 'docker-archive';

export interface ImportedImage {
  /** Names recorded in the image index. */
  names: string[];
  /** The platform manifest's digest. */
  digest: string;
}

interface ArchiveFile {
  digest: string;
  size: number;
  bytes?: Buffer;
}

const KEEP_IN_MEMORY = 4 * 1024 * 1024;

function bad(path: string, why: string): ImageError {
  return new ImageError('bad-archive', `${path} is not a usable image archive: ${why}`, {
    fix: 'make it with berth save, skopeo copy or docker save',
  });
}

/** Read every regular file of the archive into the store (by content digest). */
async function readArchive(path: string, store: BlobStore): Promise<Map<string, ArchiveFile>> {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new ImageError('no-such-file', `archive ${path} does not exist or is not a file`, {
      fix: 'give the path of an image archive',
    });
  }
  store.ensureDirs();
  const files = new Map<string, ArchiveFile>();
  try {
    for await (const { entry, body } of readTar(createReadStream(path, { highWaterMark: 256 * 1024 }))) {
      if (entry.type !== 'file') continue;
      const name = entry.path.replace(/^(\.\/)+/, '');
      const tmp = join(store.tmpDir, `import-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
      const h = createHash('sha256');
      const keep: Buffer[] = [];
      const out = createWriteStream(tmp, { mode: 0o600 });
      try {
        for await (const c of body) {
          h.update(c);
          if (entry.size <= KEEP_IN_MEMORY) keep.push(c);
          if (!out.write(c)) await once(out, 'drain');
        }
        out.end();
        await once(out, 'close');
        const digest = `sha256:${h.digest('hex')}`;
        const named =
          /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(name)?.[1] ?? /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
        if (named !== undefined && `sha256:${named}` !== digest)
          throw new DigestMismatchError(`sha256:${named}`, digest, `${name} in ${path}`);
        if (store.has(digest)) rmSync(tmp, { force: true });
        else await store.commit(digest, tmp, `${name} in ${path}`, digest);
        files.set(name, {
          digest,
          size: entry.size,
          ...(entry.size <= KEEP_IN_MEMORY ? { bytes: Buffer.concat(keep) } : {}),
        });
      } finally {
        out.destroy();
        rmSync(tmp, { force: true });
      }
    }
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw bad(path, (e as Error).message);
  }
  return files;
}

function json<T>(path: string, files: Map<string, ArchiveFile>, name: string): T | undefined {
  const f = files.get(name);
  if (!f) return undefined;
  if (!f.bytes) throw bad(path, `${name} is too large`);
  try {
    return JSON.parse(f.bytes.toString('utf8')) as T;
  } catch {
    throw bad(path, `${name} is not JSON`);
  }
}

/** Check the manifest's blobs all came with the archive; return the platform manifest's digest. */
function platformManifest(path: string, store: BlobStore, digest: string): string {
  if (!store.has(digest)) throw bad(path, `manifest ${digest} is missing`);
  let m = store.readJson<ManifestJson & { manifests?: IndexEntry[] }>(digest);
  let d = digest;
  if ((m.mediaType && INDEX_TYPES.has(m.mediaType)) || Array.isArray(m.manifests)) {
    const present = (m.manifests ?? []).filter((e) => store.has(e.digest));
    d = selectPlatform(present, hostPlatform(), path).digest;
    m = store.readJson(d);
  }
  if (m.mediaType !== undefined && !MANIFEST_TYPES.has(m.mediaType))
    throw bad(path, `unsupported manifest type ${m.mediaType}`);
  if (!m.config || !Array.isArray(m.layers)) throw bad(path, `manifest ${d} has no config or layers`);
  for (const b of [m.config, ...m.layers]) if (!store.has(b.digest)) throw bad(path, `blob ${b.digest} is missing`);
  return d;
}

async function importOci(
  path: string,
  files: Map<string, ArchiveFile>,
  store: BlobStore,
  tag: string | undefined,
  nameFor: (refName: string | undefined, configDigest: string) => Promise<string[]>,
): Promise<ImportedImage[]> {
  const index = json<{ manifests?: IndexEntry[] }>(path, files, 'index.json');
  if (!index || !Array.isArray(index.manifests)) throw bad(path, 'no index.json');
  let entries = index.manifests;
  if (tag !== undefined) {
    entries = entries.filter((e) => {
      const n = e.annotations?.[REF_NAME_ANNOTATION];
      return n === tag || n?.endsWith(`:${tag}`);
    });
    if (entries.length === 0) {
      const have = index.manifests
        .map((e) => e.annotations?.[REF_NAME_ANNOTATION])
        .filter(Boolean)
        .join(', ');
      throw new ImageError('no-such-tag', `${path} has no image tagged "${tag}"`, {
        fix: have ? `it has: ${have}` : 'it has no tagged images; leave the tag out',
      });
    }
  }
  if (entries.length === 0) throw bad(path, 'index.json lists no images');
  const out: ImportedImage[] = [];
  const index_ = new ImageIndex(store.imagesDir);
  for (const e of entries) {
    const digest = platformManifest(path, store, e.digest);
    const names = await nameFor(
      e.annotations?.[REF_NAME_ANNOTATION],
      store.readJson<ManifestJson>(digest).config.digest,
    );
    const size = store.size(e.digest) ?? 0;
    for (const ref of names)
      await index_.put({
        ref,
        digest: e.digest,
        mediaType: e.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        size,
        manifestDigest: digest,
      });
    out.push({ names, digest });
  }
  return out;
}

function compressionMedia(store: BlobStore, digest: string): string {
  const fd = openSync(store.path(digest), 'r');
  const head = Buffer.alloc(6);
  try {
    readSync(fd, head, 0, 6, 0);
  } finally {
    closeSync(fd);
  }
  const c = detectCompression(head);
  if (c === 'xz')
    throw new ImageError('bad-archive', `layer ${digest} is xz-compressed`, {
      fix: 'image layers are tar, gzip or zstd',
    });
  return (
    {
      gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
      zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
      none: 'application/vnd.oci.image.layer.v1.tar',
    } as const
  )[c];
}

async function importDocker(
  path: string,
  files: Map<string, ArchiveFile>,
  store: BlobStore,
  nameFor: (repoTag: string | undefined, configDigest: string) => Promise<string[]>,
): Promise<ImportedImage[]> {
  const manifest = json<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(
    path,
    files,
    'manifest.json',
  );
  if (!Array.isArray(manifest) || manifest.length === 0) throw bad(path, 'no manifest.json');
  const out: ImportedImage[] = [];
  for (const m of manifest) {
    const cfgFile = m.Config ? files.get(m.Config) : undefined;
    if (!cfgFile?.bytes || !Array.isArray(m.Layers))
      throw bad(path, `manifest.json names a config or layers the archive lacks (${m.Config})`);
    const cfg = JSON.parse(cfgFile.bytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
    const diffIds = cfg.rootfs?.diff_ids ?? [];
    if (diffIds.length !== m.Layers.length)
      throw bad(path, `the config lists ${diffIds.length} layers, manifest.json ${m.Layers.length}`);
    const layers: LayerDesc[] = m.Layers.map((l, i) => {
      const f = files.get(l);
      if (!f) throw bad(path, `layer ${l} is missing`);
      const mediaType = compressionMedia(store, f.digest);
      if (mediaType.endsWith('.tar') && f.digest !== diffIds[i])
        throw new DigestMismatchError(diffIds[i]!, f.digest, `layer ${l} in ${path}`);
      return { mediaType, digest: f.digest, size: f.size };
    });
    const tags = m.RepoTags && m.RepoTags.length > 0 ? m.RepoTags : [undefined];
    const names = [...new Set((await Promise.all(tags.map((t) => nameFor(t, cfgFile.digest)))).flat())];
    const digest = await recordImage(store.imagesDir, names, layers, cfgFile.bytes);
    out.push({ names, digest });
  }
  return out;
}

/**
 * Which format an archive is, by its members (oci-layout vs manifest.json). Docker 25+ `docker save`
 * writes both (an OCI layout plus manifest.json over the same blobs): then the asked-for format
 * wins, and with none asked for (berth load), the OCI layout.
 */
export function formatOf(files: { has(name: string): boolean }, wanted?: ArchiveFormat): ArchiveFormat | undefined {
  const oci = files.has('oci-layout') && files.has('index.json');
  const docker = files.has('manifest.json');
  if (wanted === 'docker-archive' && docker) return 'docker-archive';
  if (oci) return 'oci-archive';
  if (docker) return 'docker-archive';
  return undefined;
}

export interface ImportOptions {
  imagesDir: string;
  /** Expected format; undefined: detect (berth load). */
  format?: ArchiveFormat;
  /** oci-archive:PATH:TAG. */
  tag?: string;
  /** Record the image under this name only (image resolution); default: the archive's own names. */
  as?: string;
  /** PATH is a spool of stdin (berth load < FILE): no name may mention it. */
  fromStream?: boolean;
}

/**
 * A name the archive gives an image, as an index key (registry-style when it parses as one). An
 * image the archive gives no usable name (`docker save IMAGE_ID`, an untagged OCI layout) is named
 * after its image id as Docker shows it, the config digest's first 12 hex digits:
 * `localhost/<id>:latest` (Docker lists it as <none>:<none> and takes the id; berth needs a name).
 */
async function namesFrom(
  given: string | undefined,
  configDigest: string,
  ociArchive: string | undefined,
): Promise<string[]> {
  const { parseImageRef } = await import('../ref.js');
  if (given) {
    try {
      const p = parseImageRef(given);
      if (p.kind === 'registry' && (given.includes('/') || given.includes(':'))) return [p.canonical];
    } catch {
      /* not a registry name: fall back below */
    }
    // An OCI layout's bare tag ("v1") names the image within its archive file.
    if (ociArchive !== undefined) return [`oci-archive:${ociArchive}:${given}`];
  }
  return [parseImageRef(`localhost/${configDigest.replace(/^sha256:/, '').slice(0, 12)}:latest`).canonical];
}

export async function importArchive(
  path: string,
  opts: ImportOptions,
): Promise<{ format: ArchiveFormat; images: ImportedImage[] }> {
  const abs = resolvePath(path);
  const store = new BlobStore(opts.imagesDir);
  const files = await readArchive(abs, store);
  const format = formatOf(files, opts.format);
  if (!format)
    throw bad(abs, 'neither an OCI layout (oci-layout, index.json) nor a docker save archive (manifest.json)');
  if (opts.format && format !== opts.format) throw bad(abs, `it is an ${format}, not an ${opts.format}`);
  const ociFile = format === 'oci-archive' && !opts.fromStream ? abs : undefined;
  const nameFor =
    opts.as !== undefined
      ? async () => [opts.as!]
      : (given: string | undefined, config: string) => namesFrom(given, config, ociFile);
  const images =
    format === 'oci-archive'
      ? await importOci(abs, files, store, opts.tag, nameFor)
      : await importDocker(abs, files, store, nameFor);
  return { format, images };
}
