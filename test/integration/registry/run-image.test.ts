/**
 * `berth run` of an image from a real registry on loopback, on chroot and container, as root and
 * as the unprivileged test user: pulled on first use, layers unpacked once, whiteouts honoured.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  symlinkSync,
  copyFileSync,
  chmodSync,
  rmSync,
  readdirSync,
  readFileSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { ensureTools, startRegistry, skopeoPush, singleImageLayout, type RunningRegistry } from './fixtures.js';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

function busyboxLayer(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d));
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const a of list) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc', 'os-release'), 'NAME="layer one"\n');
  writeFileSync(join(dir, 'etc', 'gone'), 'deleted by layer 2\n');
}

let work = '';
let registry: RunningRegistry | undefined;
let imageRef = '';
let missing: string | undefined;

before(async () => {
  if (!isRoot()) {
    missing = 'root (the test starts a registry and runs berth as root and as a test user)';
    return;
  }
  const absent = await ensureTools();
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-run-image-'));
  const l1 = join(work, 'l1');
  const l2 = join(work, 'l2');
  busyboxLayer(l1);
  mkdirSync(join(l2, 'etc'), { recursive: true });
  writeFileSync(join(l2, 'etc', 'os-release'), 'NAME="berth registry test"\n');
  writeFileSync(join(l2, 'etc', '.wh.gone'), '');
  const layout = join(work, 'layout');
  await singleImageLayout(layout, work, [l1, l2], 'run');
  registry = await startRegistry(work);
  imageRef = `${registry.host}/test/runnable:1`;
  await skopeoPush(layout, 'run', imageRef);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const backend of ['chroot', 'container']) {
  for (const mode of ['root', 'rootless'] as const) {
    describe(`registry image on ${backend} as ${mode}`, () => {
      let r: Runner;
      before(() => {
        if (!missing) r = makeRunner(mode);
      });
      after(() => r?.cleanup());
      it('pulls on first run, honours whiteouts, then runs from the store', { timeout: 120_000 }, async (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        const first = await r.run([
          'run',
          '--rm',
          '--backend',
          backend,
          imageRef,
          'sh',
          '-c',
          'cat /etc/os-release; test ! -e /etc/gone && echo gone-is-gone; echo $ARCH',
        ]);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /NAME="berth registry test"\ngone-is-gone\n/);
        // The stored images besides the builtin busybox, which `images` always lists first.
        const pulled = async () =>
          (JSON.parse((await r.run(['images', '--format', 'json'])).stdout) as { ref: string; builtin?: boolean }[])
            .filter((i) => !i.builtin)
            .map((i) => i.ref);
        assert.deepEqual(await pulled(), [imageRef]);
        // Stop the registry? No: prove the second run needs no pull by pointing at a stored ref only.
        const again = await r.run(['run', '--rm', '--backend', backend, imageRef, 'cat', '/etc/os-release']);
        assert.equal(again.stdout, 'NAME="berth registry test"\n', again.stderr);
        const bad = await r.run(['run', '--rm', '--backend', backend, `${registry!.host}/test/absent:1`, 'true']);
        assert.equal(bad.code, 125);
        assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
        // tag: another name for the same stored image, runnable at once; rmi of the alias keeps the data.
        assert.equal((await r.run(['tag', imageRef, 'alias:2'])).stdout, 'docker.io/library/alias:2\n');
        const aliased = await r.run(['run', '--rm', '--backend', backend, 'alias:2', 'cat', '/etc/os-release']);
        assert.equal(aliased.stdout, 'NAME="berth registry test"\n', aliased.stderr);
        assert.equal((await r.run(['rmi', 'alias:2'])).code, 0);
        assert.equal((await r.run(['tag', 'never-pulled:1', 'x:1'])).code, 125);
        // rmi refuses while an environment uses the image, then frees blobs and layers.
        assert.equal(
          (await r.run(['run', '-d', '--backend', backend, '--name', 'user1', imageRef, 'sleep', '100'])).code,
          0,
        );
        const inUse = await r.run(['rmi', imageRef]);
        assert.equal(inUse.code, 125);
        assert.match(inUse.stderr, /is used by user1/);
        assert.equal((await r.run(['rm', '-f', 'user1'])).code, 0);
        const rmi = await r.run(['rmi', imageRef]);
        assert.equal(rmi.code, 0, rmi.stderr);
        assert.deepEqual(await pulled(), []);
        assert.deepEqual(readdirSync(join(r.root, 'images', 'layers')), []);
        assert.deepEqual(readdirSync(join(r.root, 'images', 'blobs', 'sha256')), []);
      });
      it('dir:PATH runs a root filesystem directory without changing it', { timeout: 60_000 }, async (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        const dir = join(work, `dirimage-${backend}-${mode}`);
        busyboxLayer(dir);
        spawnSync('chmod', ['-R', 'a+rX', work]);
        if (mode === 'rootless') spawnSync('chown', ['-R', 'berth-test:berth-test', dir]);
        const res = await r.run([
          'run',
          '--rm',
          '--backend',
          backend,
          `dir:${dir}`,
          'sh',
          '-c',
          'cat /etc/os-release; echo new > /etc/os-release; touch /added',
        ]);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, 'NAME="layer one"\n');
        assert.equal(readFileSync(join(dir, 'etc', 'os-release'), 'utf8'), 'NAME="layer one"\n');
        assert.equal(existsSync(join(dir, 'added')), false);
        const missingDir = await r.run(['run', '--rm', '--backend', backend, 'dir:/no/such/rootfs', 'true']);
        assert.equal(missingDir.code, 125);
        assert.match(missingDir.stderr, /is not a directory/);
      });
    });
  }
}
