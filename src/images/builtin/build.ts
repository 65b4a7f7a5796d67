/**
 * Building the builtin busybox image (the slow path of ensureBuiltinBusybox): find or fetch
 * busybox, lay out the rootfs in <imagesDir>/builtin/.tmp-*, then rename it into place.
 * On failure nothing is left behind in imagesDir.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ImageError, isBerthError } from '../../core/errors.js';
import type { ResolvedImage } from '../image.js';
import { DebFormatError, extractFileFromDeb } from '../debian/deb-extract.js';
import { fetchVerifiedDeb } from '../debian/fetch-deb.js';
import { busyboxStoreDir, toResolved, type EnsureBusyboxOptions } from './busybox-store.js';
import { isStaticElf } from './elf.js';
import { findHostStaticBusybox } from './host-busybox.js';
import { BUSYBOX_CONFIG, RECIPE_VERSION, type BusyboxImageFile, type BusyboxSource } from './recipe.js';
import { busyboxImageDigest } from './digest.js';
import { assembleRootfs, busyboxVersion } from './rootfs.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function obtainBusybox(
  opts: EnsureBusyboxOptions,
  work: string,
): Promise<{ bytes: Buffer; source: BusyboxSource }> {
  const host = await findHostStaticBusybox(opts.hostCandidates);
  if (host) return { bytes: host.bytes, source: { kind: 'host', path: host.path, sha256: sha256(host.bytes) } };

  const progress = opts.onProgress ?? (() => {});
  progress('no static busybox on this host; fetching busybox-static from the Debian archive');
  const fetchDir = join(work, 'fetch');
  await mkdir(fetchDir, { mode: 0o700 });
  const deb = await fetchVerifiedDeb('busybox-static', fetchDir, opts.fetch, progress);
  let file;
  try {
    file = await extractFileFromDeb(await readFile(deb.path), ['./bin/busybox', './usr/bin/busybox']);
  } catch (e) {
    if (e instanceof DebFormatError) {
      throw new ImageError('deb-unreadable', `cannot unpack ${deb.url}: ${e.message}`, {
        fix: 'install busybox-static',
        cause: e,
      });
    }
    throw e;
  }
  if (!isStaticElf(file.data, process.arch)) {
    throw new ImageError('busybox-not-static', `busybox in ${deb.url} is not a static executable for ${process.arch}`, {
      fix: 'install busybox-static',
    });
  }
  return {
    bytes: file.data,
    source: { kind: 'deb', url: deb.url, sha256: deb.sha256, package: deb.entry.package, version: deb.entry.version },
  };
}

/** Point <store>/current at <hex>, atomically. */
async function setCurrent(store: string, hex: string): Promise<void> {
  const tmp = join(store, `.current-${randomBytes(6).toString('hex')}`);
  await symlink(hex, tmp);
  try {
    await rename(tmp, join(store, 'current'));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Remove the directories this call created, innermost first, if they are still empty. */
async function removeCreatedDirs(from: string, firstCreated: string | undefined): Promise<void> {
  if (!firstCreated) return;
  for (let d = from; d.length >= firstCreated.length; d = dirname(d)) {
    if (
      await rmdir(d).then(
        () => false,
        () => true,
      )
    )
      return;
    if (d === firstCreated) return;
  }
}

export async function buildBuiltinBusybox(opts: EnsureBusyboxOptions): Promise<ResolvedImage> {
  const imagesDir = resolve(opts.imagesDir);
  const store = busyboxStoreDir(imagesDir);
  const builtinDir = dirname(store);
  let firstCreated: string | undefined;
  let work: string | undefined;
  let ok = false;
  try {
    firstCreated = await mkdir(store, { recursive: true });
    work = await mkdtemp(join(builtinDir, '.tmp-'));
    const { bytes, source } = await obtainBusybox(opts, work);
    const hex = busyboxImageDigest(bytes);
    const final = join(store, hex);

    const existing = await stat(join(final, 'config.json')).catch(() => undefined);
    if (!existing) {
      opts.onProgress?.('assembling the busybox rootfs');
      const staging = join(work, 'image');
      await mkdir(staging);
      const version = busyboxVersion(bytes);
      await assembleRootfs(join(staging, 'rootfs'), bytes, version);
      const file: BusyboxImageFile = {
        ...BUSYBOX_CONFIG,
        recipe: RECIPE_VERSION,
        digest: `sha256:${hex}`,
        busyboxVersion: version,
        source,
      };
      await writeFile(join(staging, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
      try {
        await rename(staging, final);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e; // otherwise another berth won the race
      }
    }
    await setCurrent(store, hex);
    const image = toResolved(store, JSON.parse(await readFile(join(final, 'config.json'), 'utf8')) as BusyboxImageFile);
    ok = true;
    return image;
  } catch (e) {
    if (isBerthError(e)) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageError('busybox-build-failed', `cannot build the builtin busybox image in ${imagesDir}: ${msg}`, {
      fix: 'check free space and permissions of the images directory',
      cause: e,
    });
  } finally {
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {});
    if (!ok) await removeCreatedDirs(store, firstCreated);
  }
}
