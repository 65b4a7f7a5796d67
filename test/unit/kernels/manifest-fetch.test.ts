import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { checkManifest, manifests, findManifest } from '../../../src/kernels/manifest.js';
import { dependsNames, pickEntry, installKernel } from '../../../src/kernels/fetch.js';
import { installedVersion, parseMd5sums } from '../../../src/kernels/installed.js';
import { resolveKernel, isKernelPath } from '../../../src/kernels/resolve.js';
import { modulesListFile } from '../../../src/kernels/initramfs.js';
import { resolvePaths } from '../../../src/core/paths.js';
import { KernelError } from '../../../src/core/errors.js';
import type { PackageEntry } from '../../../src/images/debian/packages-index.js';

test('the shipped manifests are valid and named uml and microvm', () => {
  assert.deepEqual(
    manifests().map((m) => m.name),
    ['uml', 'microvm'],
  );
  assert.equal(findManifest('microvm')?.format, 'bzImage');
  assert.ok(findManifest('microvm')!.bootModules.includes('virtio_blk'));
  assert.equal(findManifest('nope'), undefined);
});

test('manifest checks name the field', () => {
  const good = {
    name: 'x',
    description: 'd',
    format: 'uml',
    architectures: ['amd64'],
    package: 'p',
    kernelPath: '^k$',
    modulesRoot: './lib/modules/',
    bootModules: [],
  };
  assert.equal(checkManifest(good, 'x.json').modulesRoot, 'lib/modules');
  assert.throws(() => checkManifest({ ...good, format: 'elf' }, 'x.json'), /x\.json: format "elf"/);
  assert.throws(() => checkManifest({ ...good, name: '../x' }, 'x.json'), /name/);
  assert.throws(() => checkManifest({ ...good, kernelPath: '(' }, 'x.json'), /kernelPath/);
  assert.throws(() => checkManifest({ ...good, bootModules: 'virtio' }, 'x.json'), /bootModules/);
  assert.throws(() => checkManifest({ ...good, installed: { kernel: '/k' } }, 'x.json'), /installed/);
});

const entry = (p: string, depends?: string): PackageEntry => ({
  package: p,
  version: '1',
  architecture: 'amd64',
  filename: `pool/${p}.deb`,
  sha256: 'a'.repeat(64),
  size: 1,
  ...(depends ? { depends } : {}),
});

test('a metapackage is followed to the versioned kernel package', () => {
  assert.deepEqual(dependsNames('linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1), foo | bar, baz:any'), [
    'linux-image-6.1.0-50-cloud-amd64',
    'foo',
    'baz:any',
  ]);
  assert.deepEqual(dependsNames(undefined), []);
  const index = new Map([
    ['linux-image-cloud-amd64', entry('linux-image-cloud-amd64', 'linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1)')],
    ['linux-image-6.1.0-50-cloud-amd64', entry('linux-image-6.1.0-50-cloud-amd64')],
  ]);
  const idx = { suite: 'bookworm', arch: 'amd64', find: (n: string) => index.get(n) };
  assert.equal(pickEntry(idx, findManifest('microvm')!).package, 'linux-image-6.1.0-50-cloud-amd64');
  assert.equal(
    pickEntry({ ...idx, find: (n) => (n === 'user-mode-linux' ? entry(n) : undefined) }, findManifest('uml')!).package,
    'user-mode-linux',
  );
  assert.throws(
    () => pickEntry({ ...idx, find: () => undefined }, findManifest('uml')!),
    (e: unknown) => e instanceof KernelError && /user-mode-linux is not in bookworm\/main/.test(e.message),
  );
  assert.throws(
    () =>
      pickEntry(
        { ...idx, find: (n) => (n === 'linux-image-cloud-amd64' ? entry(n, 'initramfs-tools') : undefined) },
        findManifest('microvm')!,
      ),
    /depends on no package matching/,
  );
});

test('dpkg status and md5sums', () => {
  const status =
    'Package: user-mode-linux\nStatus: deinstall ok config-files\nVersion: 0\nArchitecture: amd64\n\nPackage: user-mode-linux\nStatus: install ok installed\nArchitecture: amd64\nVersion: 6.1um4+b13\n';
  assert.equal(installedVersion(status, 'user-mode-linux', 'amd64'), '6.1um4+b13');
  assert.equal(installedVersion(status, 'user-mode-linux', 'arm64'), undefined);
  assert.equal(installedVersion(status, 'other', 'amd64'), undefined);
  assert.deepEqual(
    [...parseMd5sums('0123456789abcdef0123456789abcdef  usr/bin/linux.uml\nbad line\n')],
    [['usr/bin/linux.uml', '0123456789abcdef0123456789abcdef']],
  );
  assert.equal(modulesListFile(['virtio', 'virtio_ring']), 'virtio.ko\nvirtio_ring.ko\n');
  assert.equal(modulesListFile([]), '');
});

test('--kernel: names, paths, and clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kernel-unit-'));
  try {
    const paths = resolvePaths({ BERTH_ROOT: dir });
    assert.equal(isKernelPath('./bzImage'), true);
    assert.equal(isKernelPath('microvm'), false);
    await assert.rejects(
      resolveKernel(paths, 'nope'),
      (e: unknown) => e instanceof KernelError && e.code === 'unknown-kernel' && /known: uml, microvm/.test(e.message),
    );
    await assert.rejects(
      resolveKernel(paths, join(dir, 'absent')),
      (e: unknown) => e instanceof KernelError && e.code === 'kernel-not-found',
    );
    await assert.rejects(
      resolveKernel(paths, `${dir}/`),
      (e: unknown) => e instanceof KernelError && e.code === 'kernel-not-a-file',
    );
    writeFileSync(join(dir, 'bzImage'), 'not really a kernel');
    const k = await resolveKernel(paths, join(dir, 'bzImage'));
    assert.equal(k.origin, 'path');
    assert.equal(k.format, 'unknown');
    assert.deepEqual(k.bootModules, []);
    assert.match(k.sha256, /^[0-9a-f]{64}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fetch that cannot reach a mirror fails with a kernel error and leaves nothing behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kernel-unit-'));
  try {
    const paths = resolvePaths({ BERTH_ROOT: dir });
    mkdirSync(join(paths.kernels, 'uml', '.tmp-1-dead'), { recursive: true }); // a crashed earlier install
    const sources = [
      {
        types: ['deb'],
        uris: ['http://127.0.0.1:9/debian'],
        suites: ['bookworm'],
        components: ['main'],
        enabled: true,
        origin: 'test',
      },
    ];
    await assert.rejects(
      installKernel(paths, findManifest('uml')!, {
        fetch: { sources, suite: 'bookworm', arch: 'amd64', timeoutMs: 2000 },
      }),
      (e: unknown) => e instanceof KernelError && /--kernel PATH/.test(e.fix ?? ''),
    );
    assert.deepEqual(readdirSync(join(paths.kernels, 'uml')), [], 'no temporary directory, the stale one removed');
    assert.equal(existsSync(join(paths.locks, 'kernel-uml.lock')), false, 'lock released');
    await assert.rejects(
      installKernel(paths, findManifest('uml')!, { fetch: { arch: 'arm64' } }),
      /exists for amd64, not arm64/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
