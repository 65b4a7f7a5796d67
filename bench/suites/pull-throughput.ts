/**
 * Pull throughput: one multi-layer image (~100 MB of incompressible data in 4 gzip layers,
 * generated into an OCI layout and pushed with skopeo to Debian's docker-registry on 127.0.0.1)
 * pulled by `berth pull` (into an empty store: download and verify every blob; layers are
 * unpacked on first use) and by `skopeo copy docker://... dir:...` (download, verify, write
 * blobs): the same work. Each timed command first
 * removes its previous copy (`rm -rf`), the same for both rows. Baseline: skopeo.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { Row, Suite } from '../harness.js';
import { TAR_END, tarHeader, tarPadding } from '../../src/images/unpack/tar-writer.js';
import { goArch } from '../../src/images/registry/platform.js';
import { berthArgv, findExecutable } from './common.js';

const LAYERS = 4;
const LAYER_BYTES = 25 * 1024 * 1024;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** An OCI layout with one image of LAYERS gzip layers, each holding one file of random bytes. */
export function buildLayout(dir: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b: Buffer) => {
    const d = sha(b);
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layers: { digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const data = randomBytes(LAYER_BYTES);
    const tar = Buffer.concat([
      tarHeader({ path: `data/layer${i}.bin`, type: '0', mode: 0o644, size: data.length }),
      data,
      tarPadding(data.length),
      TAR_END,
    ]);
    diffIds.push(sha(tar));
    const gz = gzipSync(tar, { level: 1 });
    layers.push({ digest: put(gz), size: gz.length });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }),
  );
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: put(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'big' },
        },
      ],
    }),
  );
}

export const pullThroughput: Suite = {
  name: 'pull-throughput',
  description: `pull one ${LAYERS}-layer image (${(LAYERS * LAYER_BYTES) / 1048576} MiB of incompressible data, gzip) from docker-registry on 127.0.0.1 into an empty store`,
  async prepare({ repo }) {
    const registryBin = findExecutable('docker-registry');
    const skopeo = findExecutable('skopeo');
    if (!registryBin || !skopeo)
      return {
        name: 'pull-throughput',
        unavailable: 'docker-registry or skopeo not installed (apt-get install docker-registry skopeo)',
      };
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'pull-throughput', unavailable: berth };
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-pull-'));
    let proc: ChildProcess | undefined;
    const cleanup = (): void => {
      proc?.kill('SIGTERM');
      rmSync(tmp, { recursive: true, force: true });
    };
    try {
      buildLayout(join(tmp, 'layout'));
      const port = await freePort();
      writeFileSync(
        join(tmp, 'registry.yml'),
        [
          'version: 0.1',
          'log:',
          '  level: error',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${join(tmp, 'registry')}`,
          'http:',
          `  addr: 127.0.0.1:${port}`,
          '',
        ].join('\n'),
      );
      proc = spawn(registryBin, ['serve', join(tmp, 'registry.yml')], { stdio: 'ignore' });
      const host = `127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`http://${host}/v2/`)).status === 200) break;
        } catch {
          /* not up yet */
        }
        if (i > 300) throw new Error('docker-registry did not come up');
        await new Promise((r) => setTimeout(r, 50));
      }
      const push = spawnSync(
        skopeo,
        [
          '--insecure-policy',
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${join(tmp, 'layout')}:big`,
          `docker://${host}/bench/big:1`,
        ],
        { encoding: 'utf8' },
      );
      if (push.status !== 0) throw new Error(`skopeo push failed: ${push.stderr}`);
      const store = join(tmp, 'berth-root');
      const dirOut = join(tmp, 'skopeo-dir');
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const berthCmd = `rm -rf ${q(store)} && ${berth.map(q).join(' ')} pull -q ${host}/bench/big:1`;
      const skopeoCmd = `rm -rf ${q(dirOut)} && ${q(skopeo)} --insecure-policy copy --quiet --src-tls-verify=false docker://${host}/bench/big:1 dir:${q(dirOut)}`;
      const rows: Row[] = [
        {
          name: `berth pull ${host}/bench/big:1`,
          argv: ['sh', '-c', berthCmd],
          env: { ...process.env, BERTH_ROOT: store },
        },
        { name: `skopeo copy docker://${host}/bench/big:1 dir:DIR`, argv: ['sh', '-c', skopeoCmd] },
      ];
      return { rows, baseline: rows[1]!.name, targets: { [rows[0]!.name]: 1.0 }, cleanup };
    } catch (e) {
      cleanup();
      throw e;
    }
  },
};
