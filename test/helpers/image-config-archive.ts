/**
 * An oci-archive whose config sets ENTRYPOINT, CMD, ENV, WORKDIR and USER, built without any
 * registry or tool: the builtin busybox rootfs (the same code lays it out) plus a user `app`
 * (1000:1000) owning the WORKDIR, one gzip layer, an OCI layout, tarred. Built once per process,
 * world-readable so the unprivileged test user can import it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { assembleRootfs, busyboxVersion } from '../../src/images/builtin/rootfs.js';
import { findHostStaticBusybox } from '../../src/images/builtin/host-busybox.js';
import { goArch } from '../../src/images/registry/platform.js';

export const APP = { uid: 1000, gid: 1000, workdir: '/srv/app', foo: 'bar' };
export const IMAGE_CONFIG = {
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo default:$FOO:$(id -u):$(id -g):$(pwd)'],
  Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `FOO=${APP.foo}`],
  WorkingDir: APP.workdir,
  User: 'app',
};

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let built: Promise<string> | undefined;

/** `oci-archive:PATH:ep`, or throws when the host has no static busybox to build it from. */
export function imageConfigArchive(): Promise<string> {
  return (built ??= build());
}

async function build(): Promise<string> {
  const busybox = await findHostStaticBusybox();
  if (!busybox)
    throw new Error('no static busybox on the host to build the test image from (apt-get install busybox-static)');
  const work = mkdtempSync(join(tmpdir(), 'berth-imgcfg-'));
  chmodSync(work, 0o755);
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const rootfs = join(work, 'rootfs');
  await assembleRootfs(rootfs, busybox.bytes, busyboxVersion(busybox.bytes));
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    `root:x:0:0:root:/root:/bin/sh\napp:x:${APP.uid}:${APP.gid}:app:/home/app:/bin/sh\n`,
  );
  writeFileSync(join(rootfs, 'etc', 'group'), `root:x:0:\napp:x:${APP.gid}:\n`);
  for (const d of [APP.workdir, '/home/app']) {
    mkdirSync(join(rootfs, d), { recursive: true, mode: 0o755 });
    chownSync(join(rootfs, d), APP.uid, APP.gid);
  }
  const layerTar = join(work, 'layer.tar');
  const t = spawnSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', layerTar, '.'], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
  spawnSync('gzip', ['-n', '-f', layerTar]);
  const layer = readFileSync(`${layerTar}.gz`);

  const layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(layout, 'blobs', 'sha256', sha(b).slice(7)), b);
    return sha(b);
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config: IMAGE_CONFIG,
      rootfs: { type: 'layers', diff_ids: [sha(gunzipSync(layer))] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(layer), size: layer.length }],
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'ep' },
        },
      ],
    }),
  );
  const archive = join(work, 'imgcfg-oci.tar');
  const a = spawnSync('tar', ['-C', layout, '-cf', archive, '.'], { encoding: 'utf8' });
  if (a.status !== 0) throw new Error(`tar failed: ${a.stderr}`);
  chmodSync(archive, 0o644);
  rmSync(rootfs, { recursive: true, force: true });
  return `oci-archive:${archive}:ep`;
}
