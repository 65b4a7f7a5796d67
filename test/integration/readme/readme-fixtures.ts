/**
 * What the README's `## Use` block refers to, made on loopback and in a temp work dir: a busybox
 * root filesystem (/srv/rootfs), rootfs.tar.zst (local) and rootfs.tar.xz (served over http), an
 * image archive app.tar (OCI layout and docker manifest, as Docker 25+ saves), the same image in
 * a loopback docker-registry as team/app:1 (and team/other:1), ./test.sh for matrix, the VM kernels in the store's
 * cache, and the `debian:bookworm/minbase` image stored from the fixture (no mmdebstrap run).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeRootfs, makeTarball, sha256, startFileServer, type FileServer } from '../sources/fixtures.js';
import { combinedLayout } from '../sources/combined-layout.js';
import { startRegistry, type RunningRegistry } from '../registry/fixtures.js';
import { seedKernels } from './kernel-mirror.js';
import { importArchive } from '../../../src/images/sources/archive-import.js';
import { resolvePaths } from '../../../src/core/paths.js';
import type { MapContext } from './readme-map.js';

export interface ReadmeFixtures {
  work: string;
  ctx: MapContext;
  close(): Promise<void>;
}

export async function makeFixtures(berthRoot: string, kernelDebs: string[]): Promise<ReadmeFixtures> {
  const work = mkdtempSync(join(tmpdir(), 'berth-readme-'));
  chmodSync(work, 0o755);
  const build = join(work, '.build');
  mkdirSync(build);
  const rootfsDir = join(build, 'rootfs');
  makeRootfs(rootfsDir, 'readme');
  writeFileSync(join(rootfsDir, 'etc', 'os-release'), 'PRETTY_NAME="berth README fixture"\n');
  for (const a of ['ps', 'ping', 'date', 'sleep', 'uname']) {
    try {
      (await import('node:fs')).symlinkSync('busybox', join(rootfsDir, 'bin', a));
    } catch {
      /* exists */
    }
  }
  makeTarball(rootfsDir, join(work, 'rootfs.tar'), 'zstd');
  const xz = makeTarball(rootfsDir, join(build, 'rootfs.tar'), 'xz');
  const xzBytes = readFileSync(xz);
  const app = await combinedLayout(build, rootfsDir, { tag: '1', repoTag: 'team/app:1' });
  await execa('cp', [app.archive, join(work, 'app.tar')]);
  writeFileSync(join(work, 'test.sh'), '#!/bin/sh\necho "test.sh ran"\n', { mode: 0o755 });

  let registry: RunningRegistry | undefined;
  let files: FileServer | undefined;
  try {
    registry = await startRegistry(build);
    for (const repo of ['team/app', 'team/other']) {
      await execa('skopeo', [
        '--insecure-policy',
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        `oci:${app.dir}:1`,
        `docker://${registry.host}/${repo}:1`,
      ]);
    }
    files = await startFileServer();
    files.serve('/rootfs.tar.xz', xzBytes);
    await seedKernels(berthRoot, build, kernelDebs);
    await importArchive(app.archive, {
      imagesDir: resolvePaths({ BERTH_ROOT: berthRoot }).images,
      format: 'oci-archive',
      tag: '1',
      as: 'debian:bookworm/minbase',
    });
  } catch (e) {
    await registry?.stop();
    await files?.close();
    throw e;
  }
  return {
    work,
    ctx: { registry: registry.host, httpBase: files.url, tarSha: sha256(xzBytes), rootfsDir },
    async close() {
      await registry?.stop();
      await files?.close();
    },
  };
}
