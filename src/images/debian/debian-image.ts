/**
 * `debian:SUITE[/VARIANT]` images (ADR 0014): built with mmdebstrap from the mirror the host's
 * apt sources name (as root `--mode=root`, as a normal user `--mode=unshare`) into a tarball,
 * which becomes a one-layer OCI image in the store: the tarball is the layer blob, unpacked
 * through the safe unpack (rootless: owners as mapped sub-ids), with a config, a manifest and
 * an index record under `debian:SUITE[/VARIANT]`. A second run finds the record and builds
 * nothing; `refresh` (`berth pull debian:...`) rebuilds. The record is written last, so a
 * failed or killed build leaves no cache entry (its build dir is removed, or by the next build).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedImage } from '../image.js';
import type { DebianRef } from '../ref.js';
import { ImageError } from '../../core/errors.js';
import type { TransferHook } from '../../core/transfer.js';
import { watchFileGrowth } from '../../core/file-growth.js';
import { acquireLock } from '../../core/lock.js';
import { debianArch } from './arch.js';
import { findDebianMirror } from './debian-mirror.js';
import { DEBIAN_VARIANTS, isDebianVariant, mmdebstrapArgv } from './mmdebstrap-cmdline.js';
import { notStoredError } from '../not-stored.js';

export const DEBIAN_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';

export interface DebianOptions {
  imagesDir: string;
  rootless: boolean;
  /** Build even when the image is stored (`berth pull debian:...`). */
  refresh?: boolean;
  /** `--pull never`: refuse to build an image that is not stored. */
  noPull?: boolean;
  onProgress?: (msg: string) => void;
  onWarning?: (msg: string) => void;
  /** Bytes of the build's root file system tarball as mmdebstrap writes it. */
  onTransfer?: TransferHook;
}

interface ManifestJson {
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
}

/** The build lock and temp dirs of one reference: `build/debian-bookworm-minbase...`. */
function buildName(ref: DebianRef): string {
  return `debian-${ref.suite}${ref.variant !== undefined ? `-${ref.variant}` : ''}`;
}

export async function ensureDebianImage(ref: DebianRef, opts: DebianOptions): Promise<ResolvedImage> {
  if (ref.variant !== undefined && !isDebianVariant(ref.variant)) {
    throw new ImageError('debian-bad-variant', `unknown Debian variant "${ref.variant}" in ${ref.canonical}`, {
      fix: `use one of ${DEBIAN_VARIANTS.join(', ')}, e.g. debian:${ref.suite}/minbase`,
    });
  }
  const { ImageIndex } = await import('../store/image-index.js');
  if (!opts.refresh) {
    const stored = await storedImage(ref, opts);
    if (stored) return stored;
  }
  if (opts.noPull) {
    throw notStoredError(ref.canonical);
  }
  const buildDir = join(opts.imagesDir, 'build');
  mkdirSync(buildDir, { recursive: true, mode: 0o700 });
  const name = buildName(ref);
  const lock = await acquireLock(join(buildDir, `${name}.lock`), `the build of ${ref.canonical}`, 60 * 60_000);
  try {
    if (!opts.refresh) {
      const stored = await storedImage(ref, opts); // built by another berth while we waited
      if (stored) return stored;
    }
    // Leftovers of a killed build of this reference (we hold its lock, so nobody uses them).
    for (const d of readdirSync(buildDir))
      if (d.startsWith(`${name}.tmp-`)) rmSync(join(buildDir, d), { recursive: true, force: true });
    const tmp = mkdtempSync(join(buildDir, `${name}.tmp-`));
    try {
      const manifestDigest = await build(ref, tmp, opts);
      const { BlobStore } = await import('../store/blob-store.js');
      const size = new BlobStore(opts.imagesDir).size(manifestDigest) ?? 0;
      const { OCI_MANIFEST } = await import('../registry/media-types.js');
      await new ImageIndex(opts.imagesDir).put({
        ref: ref.canonical,
        digest: manifestDigest,
        mediaType: OCI_MANIFEST,
        size,
        manifestDigest,
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
  const built = await storedImage(ref, opts);
  if (!built)
    throw new ImageError('not-recorded', `${ref.canonical} was built but not recorded`, {
      fix: 'build it again with "berth pull"',
    });
  return built;
}

/** The stored image (its layer unpacked again if it was pruned), or undefined. */
async function storedImage(ref: DebianRef, opts: DebianOptions): Promise<ResolvedImage | undefined> {
  const [{ ImageIndex }, { BlobStore }] = await Promise.all([
    import('../store/image-index.js'),
    import('../store/blob-store.js'),
  ]);
  const record = new ImageIndex(opts.imagesDir).get(ref.canonical);
  const store = new BlobStore(opts.imagesDir);
  if (!record || !store.has(record.manifestDigest)) return undefined;
  const manifest = store.readJson<ManifestJson>(record.manifestDigest);
  if (!manifest.layers.every((l) => store.has(l.digest)) || !store.has(manifest.config.digest)) return undefined;
  const layers: string[] = [];
  for (const l of manifest.layers) layers.push(await unpackedLayer(l.digest, opts));
  const { imageConfigOf } = await import('../registry/pull.js');
  const config = imageConfigOf(store.readJson(manifest.config.digest));
  return { ref: ref.canonical, digest: record.manifestDigest, layers: layers.reverse(), config };
}

/** `<imagesDir>/layers/<hex>`, unpacked from the blob once (under the blob's lock). */
async function unpackedLayer(digest: string, opts: DebianOptions): Promise<string> {
  const [{ BlobStore }, { unpackLayer }] = await Promise.all([
    import('../store/blob-store.js'),
    import('../unpack/index.js'),
  ]);
  const store = new BlobStore(opts.imagesDir);
  const hex = digest.replace(/^sha256:/, '');
  mkdirSync(join(opts.imagesDir, 'layers'), { recursive: true, mode: 0o755 });
  const dest = join(opts.imagesDir, 'layers', hex);
  if (!existsSync(dest)) {
    await store.withLock(digest, async () => {
      if (existsSync(dest)) return;
      opts.onProgress?.(`unpacking layer ${hex.slice(0, 12)}`);
      await unpackLayer({
        path: store.path(digest),
        compression: 'none',
        dest,
        rootless: opts.rootless,
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      });
    });
  }
  return dest;
}

/** mmdebstrap -> layer blob -> config and manifest blobs. Returns the manifest digest. */
async function build(ref: DebianRef, tmp: string, opts: DebianOptions): Promise<string> {
  const arch = debianArch();
  if (!arch)
    throw new ImageError('unknown-arch', `no Debian architecture for ${process.arch}`, {
      fix: 'build on a Debian architecture (amd64, arm64, ...)',
    });
  const mirror = await findDebianMirror(ref.suite, tmp, { ...(opts.onProgress ? { progress: opts.onProgress } : {}) });
  const output = join(tmp, 'rootfs.tar');
  const argv = mmdebstrapArgv({
    suite: ref.suite,
    rootless: opts.rootless,
    mirror: mirror.base,
    keyring: mirror.keyring,
    output,
    arch,
    ...(ref.variant !== undefined ? { variant: ref.variant } : {}),
  });
  opts.onProgress?.(`building ${ref.canonical} with mmdebstrap`);
  await watchFileGrowth(opts.onTransfer, output, `${ref.canonical} tarball`, undefined, () =>
    runMmdebstrap(argv, ref, opts.onProgress),
  );

  const [{ BlobStore, hashFile }, { OCI_CONFIG, OCI_MANIFEST }, { hostPlatform }] = await Promise.all([
    import('../store/blob-store.js'),
    import('../registry/media-types.js'),
    import('../registry/platform.js'),
  ]);
  const store = new BlobStore(opts.imagesDir);
  store.ensureDirs();
  opts.onProgress?.(`storing ${ref.canonical}`);
  const layer = await hashFile(output);
  if (!store.has(layer.digest)) await store.commit(layer.digest, output, `the ${ref.canonical} tarball`, layer.digest);
  await unpackedLayer(layer.digest, opts);

  const p = hostPlatform();
  const now = new Date().toISOString();
  const config = {
    created: now,
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    history: [{ created: now, created_by: `berth: ${argv.slice(0, -3).join(' ')} ${ref.suite} (${mirror.base})` }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = store.putBytes(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: DEBIAN_LAYER_MEDIA_TYPE, digest: layer.digest, size: layer.size }],
    annotations: { 'org.opencontainers.image.ref.name': ref.canonical },
  };
  return store.putBytes(Buffer.from(JSON.stringify(manifest)));
}

/** mmdebstrap's stderr: info lines become progress, the last error line becomes the message. */
export function runMmdebstrap(argv: string[], ref: DebianRef, onProgress?: (m: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const l of lines) {
        if (l.trim() === '') continue;
        tail.push(l);
        if (tail.length > 50) tail.shift();
        if (l.startsWith('I: ')) onProgress?.(`${ref.canonical}: ${l.slice(3)}`);
      }
    });
    child.on('error', (e) => {
      reject(
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new ImageError('debian-no-mmdebstrap', `mmdebstrap is not installed, needed to build ${ref.canonical}`, {
              fix: 'install mmdebstrap (apt-get install mmdebstrap)',
            })
          : e,
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      if (partial.trim()) tail.push(partial);
      const err =
        [...tail].reverse().find((l) => l.startsWith('E: ')) ?? tail[tail.length - 1] ?? `exit ${code ?? signal}`;
      reject(
        new ImageError(
          'debian-build-failed',
          `mmdebstrap failed to build ${ref.canonical}: ${err.replace(/^E: /, '').trim()}`,
          {
            fix: "check the suite, the variant and the mirror in the host's apt sources",
          },
        ),
      );
    });
  });
}
