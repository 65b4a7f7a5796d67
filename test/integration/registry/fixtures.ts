/**
 * Test fixtures for the registry pull tests: an OCI image layout built from scratch
 * (two gzip layers, the second deleting a file with a `.wh.` whiteout; plus a two-platform
 * index), a real Debian `docker-registry` on 127.0.0.1, and skopeo to push into it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa, type ResultPromise } from 'execa';
import { create as tarCreate } from 'tar';
import { goArch } from '../../../src/images/registry/platform.js';

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function haveTool(name: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
  return r.exitCode === 0;
}

/** Install docker-registry and skopeo when missing and root. Returns what is still missing. */
export async function ensureTools(): Promise<string[]> {
  const want = [
    ['docker-registry', 'docker-registry'],
    ['skopeo', 'skopeo'],
  ] as const;
  let missing = [];
  for (const [bin, pkg] of want) if (!(await haveTool(bin))) missing.push(pkg);
  if (missing.length > 0 && process.getuid?.() === 0) {
    await execa('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      reject: false,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
    missing = [];
    for (const [bin, pkg] of want) if (!(await haveTool(bin))) missing.push(pkg);
  }
  return missing;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface BuiltImage {
  manifestDigest: string;
  manifest: Buffer;
  configDigest: string;
  layers: { digest: string; size: number; data: Buffer }[];
}

export interface Layout {
  dir: string;
  /** Tag "1": the single-platform host image. */
  single: BuiltImage;
  /** Tag "multi": an index of the host image and one for `otherArch`. */
  indexDigest: string;
  other: BuiltImage;
  otherArch: string;
}

async function writeBlob(layout: string, data: Buffer): Promise<string> {
  const d = sha(data);
  await writeFile(join(layout, 'blobs', 'sha256', d.slice(7)), data);
  return d;
}

async function tarGz(dir: string, out: string): Promise<Buffer> {
  await tarCreate({ gzip: true, file: out, cwd: dir, portable: true }, ['.']);
  return readFile(out);
}

export async function buildImage(layout: string, work: string, arch: string, layerDirs: string[]): Promise<BuiltImage> {
  const layers: BuiltImage['layers'] = [];
  const diffIds: string[] = [];
  for (const [i, d] of layerDirs.entries()) {
    const data = await tarGz(d, join(work, `${arch}-layer${i}.tar.gz`));
    diffIds.push(sha(gunzipSync(data)));
    layers.push({ digest: await writeBlob(layout, data), size: data.length, data });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Env: ['PATH=/bin', `ARCH=${arch}`], Cmd: ['/bin/hello'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layerDirs.map((_, i) => ({ created_by: `berth test layer ${i}` })),
    }),
  );
  const configDigest = await writeBlob(layout, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  return { manifestDigest: await writeBlob(layout, manifest), manifest, configDigest, layers };
}

/**
 * A one-image OCI layout in `layout` (this host's architecture) of `layerDirs`, named `name` in
 * index.json (what skopeoPush's tag picks).
 */
export async function singleImageLayout(
  layout: string,
  work: string,
  layerDirs: string[],
  name: string,
): Promise<BuiltImage> {
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const img = await buildImage(layout, work, goArch(), layerDirs);
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: img.manifestDigest,
          size: img.manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': name },
        },
      ],
    }),
  );
  return img;
}

/** Build the OCI image layout in `work/layout`. */
export async function buildLayout(work: string): Promise<Layout> {
  const dir = join(work, 'layout');
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  // Layer 1: a small tree plus 512 KiB of incompressible data (big enough to truncate and resume).
  const l1 = join(work, 'rootfs1');
  await mkdir(join(l1, 'bin'), { recursive: true });
  await mkdir(join(l1, 'etc'), { recursive: true });
  await mkdir(join(l1, 'data'), { recursive: true });
  await writeFile(join(l1, 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  await chmod(join(l1, 'bin', 'hello'), 0o755);
  await writeFile(join(l1, 'etc', 'keep'), 'kept\n');
  await writeFile(join(l1, 'etc', 'gone'), 'deleted by layer 2\n');
  const big = Buffer.alloc(512 * 1024);
  for (let i = 0; i < big.length; i += 32) createHash('sha256').update(String(i)).digest().copy(big, i);
  await writeFile(join(l1, 'data', 'big'), big);
  // Layer 2: adds a file and deletes etc/gone with a whiteout.
  const l2 = join(work, 'rootfs2');
  await mkdir(join(l2, 'etc'), { recursive: true });
  await writeFile(join(l2, 'etc', 'added'), 'added in layer 2\n');
  await writeFile(join(l2, 'etc', '.wh.gone'), '');
  // Another architecture's image: one tiny layer.
  const l3 = join(work, 'rootfs-other');
  await mkdir(join(l3, 'etc'), { recursive: true });
  await writeFile(join(l3, 'etc', 'other'), 'other arch\n');

  const host = goArch();
  const otherArch = host === 'arm64' ? 'amd64' : 'arm64';
  const single = await buildImage(dir, work, host, [l1, l2]);
  const other = await buildImage(dir, work, otherArch, [l3]);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: other.manifestDigest,
          size: other.manifest.length,
          platform: { os: 'linux', architecture: otherArch },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: single.manifestDigest,
          size: single.manifest.length,
          platform: { os: 'linux', architecture: host },
        },
      ],
    }),
  );
  const indexDigest = await writeBlob(dir, index);
  const refName = 'org.opencontainers.image.ref.name';
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: single.manifestDigest,
          size: single.manifest.length,
          annotations: { [refName]: '1' },
        },
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: indexDigest,
          size: index.length,
          annotations: { [refName]: 'multi' },
        },
      ],
    }),
  );
  return { dir, single, indexDigest, other, otherArch };
}

export interface RunningRegistry {
  host: string; // 127.0.0.1:PORT
  root: string;
  /** The registry's data file of a blob (for corrupting it). */
  blobDataPath(digest: string): string;
  stop(): Promise<void>;
}

/** `extraYaml`: more top-level config lines (e.g. an `auth:` section). */
export async function startRegistry(work: string, extraYaml: string[] = []): Promise<RunningRegistry> {
  const port = await freePort();
  const root = join(work, 'registry-data');
  await mkdir(root, { recursive: true });
  const cfg = join(work, 'registry.yml');
  await writeFile(
    cfg,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...extraYaml,
      '',
    ].join('\n'),
  );
  const proc: ResultPromise = execa('docker-registry', ['serve', cfg], {
    reject: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    buffer: true,
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null && proc.exitCode !== undefined) {
      const r = await proc;
      throw new Error(`docker-registry exited: ${String(r.stderr)}`);
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('docker-registry did not come up within 15 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    root,
    blobDataPath: (digest) => {
      const hex = digest.slice(7);
      return join(root, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    },
    async stop() {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await proc;
      clearTimeout(t);
    },
  };
}

export async function skopeoPush(layoutDir: string, tag: string, dest: string, multiArch = false): Promise<void> {
  await execa('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    ...(multiArch ? ['--multi-arch', 'all'] : []),
    `oci:${layoutDir}:${tag}`,
    `docker://${dest}`,
  ]);
}
