/**
 * Image archives and zstd layers: skopeo turns an OCI layout the test builds into an
 * oci-archive and a docker-archive; berth runs both, pulls a zstd-layered image from a real
 * loopback registry, round-trips save -> load -> run in both formats, and exports a changed
 * environment. As root and as the unprivileged test user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { ensureTools, startRegistry, buildImage, sha, type RunningRegistry } from '../registry/fixtures.js';
import { goArch } from '../../../src/images/registry/platform.js';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { makeRootfs } from './fixtures.js';

let work = '';
let layout = '';
let registry: RunningRegistry | undefined;
let missing: string | undefined;
const archives = { oci: '', docker: '', zstdOci: '' };

/** Add an image with one zstd layer (of `dir`) to the layout under ref name `tag`. */
function addZstdImage(dir: string, tag: string): void {
  const tarFile = join(work, 'zstd-layer.tar');
  spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', tarFile, '.']);
  const diffId = sha(readFileSync(tarFile));
  spawnSync('zstd', ['-q', '-f', tarFile, '-o', `${tarFile}.zst`]);
  const layer = readFileSync(`${tarFile}.zst`);
  const put = (b: Buffer) => {
    writeFileSync(join(layout, 'blobs', 'sha256', sha(b).slice(7)), b);
    return sha(b);
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: put(layer), size: layer.length }],
    }),
  );
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: put(manifest),
    size: manifest.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
}

before(async () => {
  if (!isRoot()) return;
  const absent = await ensureTools();
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-archives-'));
  chmodSync(work, 0o755);
  layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const l1 = join(work, 'l1');
  const l2 = join(work, 'l2');
  makeRootfs(l1, 'from layer one');
  mkdirSync(join(l2, 'etc'), { recursive: true });
  writeFileSync(join(l2, 'etc', 'added'), 'added by layer two\n');
  const img = await buildImage(layout, work, goArch(), [l1, l2]);
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: img.manifestDigest,
          size: img.manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': '1' },
        },
      ],
    }),
  );
  const lz = join(work, 'lz');
  makeRootfs(lz, 'from a zstd layer');
  addZstdImage(lz, 'zstd');
  archives.oci = join(work, 'app-oci.tar');
  archives.docker = join(work, 'app-docker.tar');
  archives.zstdOci = join(work, 'zstd-oci.tar');
  const skopeo = (src: string, dst: string) => execa('skopeo', ['--insecure-policy', 'copy', '--quiet', src, dst]);
  await skopeo(`oci:${layout}:1`, `oci-archive:${archives.oci}:1`);
  await skopeo(`oci:${layout}:1`, `docker-archive:${archives.docker}:test/app:1`);
  await skopeo(`oci:${layout}:zstd`, `oci-archive:${archives.zstdOci}:zstd`);
  for (const f of Object.values(archives)) chmodSync(f, 0o644);
  registry = await startRegistry(work);
  await execa('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${layout}:zstd`,
    `docker://${registry.host}/zstd/app:1`,
  ]);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const mode of ['root', 'rootless'] as const) {
  describe(`archives and zstd as ${mode}`, () => {
    let r: Runner | undefined;
    before(() => {
      if (isRoot() && !missing) r = makeRunner(mode);
    });
    after(() => r?.cleanup());
    const ready = (t: import('node:test').TestContext) =>
      requireThat(t, isRoot(), 'root (starts a registry, creates the test user)') &&
      requireThat(t, !missing, missing ?? '');

    it('runs oci-archive: and docker-archive: images made by skopeo', { timeout: 180_000 }, async (t) => {
      if (!ready(t)) return;
      for (const ref of [
        `oci-archive:${archives.oci}:1`,
        `oci-archive:${archives.oci}`,
        `docker-archive:${archives.docker}`,
      ]) {
        const res = await r!.run(['run', '--rm', '--backend', 'chroot', ref, '--', 'cat', '/etc/msg', '/etc/added']);
        assert.equal(res.code, 0, `${ref}: ${res.stderr}`);
        assert.equal(res.stdout, 'from layer one\nadded by layer two\n', ref);
      }
      const noTag = await r!.run([
        'run',
        '--rm',
        '--backend',
        'chroot',
        `oci-archive:${archives.oci}:nope`,
        '--',
        'true',
      ]);
      assert.equal(noTag.code, 125);
      assert.match(noTag.stderr, /has no image tagged "nope" \(it has: 1\)/);
    });

    it('pulls and runs zstd layers (registry and archive)', { timeout: 180_000 }, async (t) => {
      if (!ready(t)) return;
      const pulled = await r!.run(['pull', `${registry!.host}/zstd/app:1`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      for (const ref of [`${registry!.host}/zstd/app:1`, `oci-archive:${archives.zstdOci}:zstd`]) {
        const res = await r!.run(['run', '--rm', '--backend', 'container', ref, '--', 'cat', '/etc/msg']);
        assert.equal(res.code, 0, `${ref}: ${res.stderr}`);
        assert.equal(res.stdout, 'from a zstd layer\n');
      }
    });

    it('round-trips save -> load -> run in both formats; bad archives are refused', { timeout: 180_000 }, async (t) => {
      if (!ready(t)) return;
      const src = `docker-archive:${archives.docker}`;
      assert.equal((await r!.run(['pull', src])).code, 0);
      assert.equal((await r!.run(['tag', src, 'saved/app:2'])).code, 0);
      const out = await r!.run(['run', '--rm', '--backend', 'chroot', '--', 'true']); // an env dir exists for the user
      assert.equal(out.code, 0, out.stderr);
      const dir = (await r!.hostRun('mktemp', ['-d'])).stdout.trim();
      for (const format of ['oci-archive', 'docker-archive']) {
        const file = join(dir, `${format}.tar`);
        const saved = await r!.run(['save', 'saved/app:2', '-o', file, '--format', format]);
        assert.equal(saved.code, 0, saved.stderr);
        const inspect = await execa('skopeo', ['inspect', `${format}:${file}`], { reject: false });
        assert.equal(inspect.exitCode, 0, `skopeo reads berth's ${format}: ${inspect.stderr}`);
        assert.equal((await r!.run(['rmi', 'saved/app:2'])).code, 0);
        const loaded = await r!.run(['load', '-i', file]);
        assert.equal(loaded.code, 0, loaded.stderr);
        assert.match(loaded.stdout, /Loaded image: docker\.io\/saved\/app:2/);
        const res = await r!.run(['run', '--rm', '--backend', 'container', 'saved/app:2', '--', 'cat', '/etc/added']);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, 'added by layer two\n');
      }
      const junk = join(dir, 'junk.tar');
      await r!.hostRun('sh', ['-c', `echo not an archive > ${junk}`]);
      const bad = await r!.run(['load', '-i', junk]);
      assert.equal(bad.code, 125);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, /not a usable image archive/);
      // A blob whose bytes do not match its name.
      const corrupt = join(dir, 'corrupt.tar');
      const c = spawnSync('sh', [
        '-c',
        `mkdir -p ${dir}/c/blobs/sha256 && cd ${dir}/c && echo '{"imageLayoutVersion":"1.0.0"}' > oci-layout && echo '{"manifests":[]}' > index.json && echo x > blobs/sha256/${'0'.repeat(64)} && tar -cf ${corrupt} . && chmod -R a+rX ${dir}`,
      ]);
      assert.equal(c.status, 0);
      const bad2 = await r!.run(['load', '-i', corrupt]);
      assert.equal(bad2.code, 125);
      assert.match(bad2.stderr, /failed verification/);
      // As the test process (root in CI): c/ above is root's, so the test user could not remove it.
      rmSync(dir, { recursive: true, force: true });
    });

    it('exports a changed environment as a tar with the change', { timeout: 180_000 }, async (t) => {
      if (!ready(t)) return;
      for (const backend of ['chroot', 'container']) {
        const name = `exp-${backend}`;
        const made = await r!.run([
          'run',
          '--name',
          name,
          '--backend',
          backend,
          `docker-archive:${archives.docker}`,
          '--',
          'sh',
          '-c',
          'echo changed > /etc/msg; rm /etc/added; echo new > /root/new; echo secret > /root/s; chown 1000:1000 /root/s; chmod 600 /root/s',
        ]);
        assert.equal(made.code, 0, made.stderr);
        const dir = (await r!.hostRun('mktemp', ['-d'])).stdout.trim();
        const file = join(dir, 'fs.tar');
        const exp = await r!.run(['export', name, '-o', file]);
        assert.equal(exp.code, 0, exp.stderr);
        const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
        assert.ok(list.includes('bin/busybox') && list.includes('root/new'), list.join(' '));
        assert.ok(!list.includes('etc/added'), 'the deleted file is absent');
        assert.equal(spawnSync('tar', ['-xOf', file, 'etc/msg'], { encoding: 'utf8' }).stdout, 'changed\n');
        assert.equal(spawnSync('tar', ['-xOf', file, 'root/new'], { encoding: 'utf8' }).stdout, 'new\n');
        const owners = spawnSync('tar', ['--numeric-owner', '-tvf', file, 'etc/msg'], { encoding: 'utf8' }).stdout;
        assert.match(owners, / 0\/0 /, `owned by root inside: ${owners}`);
        // A file of another user inside, unreadable to the caller outside when rootless.
        assert.equal(spawnSync('tar', ['-xOf', file, 'root/s'], { encoding: 'utf8' }).stdout, 'secret\n');
        assert.match(
          spawnSync('tar', ['--numeric-owner', '-tvf', file, 'root/s'], { encoding: 'utf8' }).stdout,
          /^-rw------- 1000\/1000 /,
        );
        // To stdout too.
        const piped = await r!.hostRun('sh', [
          '-c',
          `${r!
            .argv(['export', name])
            .args.map((a) => `'${a}'`)
            .join(' ')} | tar -t | grep -c . `,
        ]);
        if (mode === 'root') assert.equal(piped.stdout.trim(), String(list.filter(Boolean).length));
        await r!.hostRun('rm', ['-rf', dir]);
        assert.equal((await r!.run(['rm', name])).code, 0);
      }
      const none = await r!.run(['export', 'no-such-env', '-o', '/tmp/x.tar']);
      assert.equal(none.code, 125);
      assert.equal(existsSync('/tmp/x.tar'), false);
    });
  });
}
