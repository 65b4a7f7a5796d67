/**
 * `tar:PATH|URL` images: rootfs tarballs (plain, gzip, xz, zstd) run on chroot and container, as
 * root and as the unprivileged test user; URLs come from a loopback node:http server, including a
 * transfer cut short (resumed with Range) and a wrong --sha256 (exit 125, nothing cached).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { makeRootfs, makeTarball, sha256, startFileServer, type FileServer } from './fixtures.js';

let work = '';
let server: FileServer | undefined;
const tarballs: Record<string, string> = {};
let gz = Buffer.alloc(0);

before(async () => {
  if (!isRoot()) return;
  work = mkdtempSync(join(tmpdir(), 'berth-tar-src-'));
  chmodSync(work, 0o755);
  makeRootfs(join(work, 'rootfs'), 'hello from a tarball');
  for (const c of ['none', 'gzip', 'xz', 'zstd'] as const)
    tarballs[c] = makeTarball(join(work, 'rootfs'), join(work, `r-${c}.tar`), c);
  for (const f of Object.values(tarballs)) chmodSync(f, 0o644);
  // The served tarball differs from the local ones: a store that has it already would not download.
  makeRootfs(join(work, 'rootfs-http'), 'hello over http');
  gz = readFileSync(makeTarball(join(work, 'rootfs-http'), join(work, 'http.tar'), 'gzip'));
  server = await startFileServer();
});

after(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const mode of ['root', 'rootless'] as const) {
  describe(`tar: images as ${mode}`, () => {
    let r: Runner | undefined;
    before(() => {
      if (isRoot()) r = makeRunner(mode);
    });
    after(() => r?.cleanup());

    it('runs local tarballs in every compression on chroot and container', { timeout: 240_000 }, async (t) => {
      if (!requireThat(t, isRoot(), 'root (creates the test user and its files)')) return;
      for (const [c, file] of Object.entries(tarballs)) {
        const backend = c === 'gzip' || c === 'zstd' ? 'container' : 'chroot';
        const res = await r!.run(['run', '--rm', '--backend', backend, `tar:${file}`, '--', 'cat', '/etc/msg']);
        assert.equal(res.code, 0, `${c}: ${res.stderr}`);
        assert.equal(res.stdout, 'hello from a tarball\n', c);
      }
      // A broken tarball: one clear line, exit 125, its bytes not kept in the store.
      const broken = join(work, 'broken.tar.gz');
      if (!existsSync(broken))
        writeFileSync(broken, Buffer.concat([gz.subarray(0, 4096), Buffer.alloc(4096, 1)]), { mode: 0o644 });
      const bad = await r!.run(['run', '--rm', '--backend', 'chroot', `tar:${broken}`, '--', 'true']);
      assert.equal(bad.code, 125);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.equal(
        existsSync(join(r!.root, 'images', 'blobs', 'sha256', sha256(readFileSync(broken)))),
        false,
        'broken tarball not cached',
      );
      const imgs = await r!.run(['images', '--format', 'json']);
      const refs = (JSON.parse(imgs.stdout) as { ref: string }[]).map((i) => i.ref);
      for (const file of Object.values(tarballs))
        assert.ok(refs.includes(`tar:${file}`), `${file} recorded: ${refs.join(', ')}`);
    });

    it('downloads a URL verified by --sha256, resumes a cut transfer, then runs it from the store', {
      timeout: 120_000,
    }, async (t) => {
      if (!requireThat(t, isRoot(), 'root')) return;
      const path = `/${mode}/rootfs.tar.gz`;
      server!.serve(path, gz, Math.floor(gz.length / 3));
      const before = server!.log.length;
      const pulled = await r!.run(['pull', '--sha256', sha256(gz), `tar:${server!.url}${path}`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      const requests = server!.log.slice(before);
      assert.ok(
        requests.some((l) => l.includes(path) && /range=bytes=\d+-/.test(l)),
        `a Range request resumed the cut transfer: ${requests.join(' | ')}`,
      );
      const res = await r!.run([
        'run',
        '--rm',
        '--backend',
        'chroot',
        `tar:${server!.url}${path}`,
        '--',
        'cat',
        '/etc/msg',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'hello over http\n');
      assert.equal(server!.log.length, before + requests.length, 'the run used the store, not the network');
    });

    it('says which digest it saw when no --sha256 was given', { timeout: 60_000 }, async (t) => {
      if (!requireThat(t, isRoot(), 'root')) return;
      const path = `/${mode}/unpinned.tar.gz`;
      server!.serve(path, gz);
      const res = await r!.run(['pull', `tar:${server!.url}${path}`]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, new RegExp(`sha256:${sha256(gz)}`));
      assert.match(res.stderr, /--sha256/);
    });

    it('refuses a wrong --sha256 with exit 125 and caches nothing', { timeout: 60_000 }, async (t) => {
      if (!requireThat(t, isRoot(), 'root')) return;
      const path = `/${mode}/wrong.tar.gz`;
      const other = Buffer.concat([gz, Buffer.from('x')]);
      server!.serve(path, other);
      const res = await r!.run([
        'pull',
        '--sha256',
        sha256(Buffer.from('some other content')),
        `tar:${server!.url}${path}`,
      ]);
      assert.equal(res.code, 125);
      assert.match(res.stderr, /failed verification: expected sha256:/);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      const blobs = join(r!.root, 'images', 'blobs');
      assert.deepEqual(
        existsSync(join(blobs, 'tmp')) ? readdirSync(join(blobs, 'tmp')) : [],
        [],
        'no partial file left',
      );
      assert.equal(existsSync(join(blobs, 'sha256', sha256(other))), false, 'the wrong content is not stored');
      const imgs = await r!.run(['images', '--format', 'json']);
      assert.ok(!imgs.stdout.includes('wrong.tar.gz'), imgs.stdout);
      const bad = await r!.run(['pull', '--sha256', 'nothex', `tar:${server!.url}${path}`]);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /is not a SHA-256 digest/);
    });
  });
}
