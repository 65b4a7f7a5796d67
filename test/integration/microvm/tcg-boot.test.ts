/**
 * The microvm building blocks together, for real: fetch Debian's cloud kernel through the
 * verified chain into a fresh cache (a second resolve must not touch the network), build the
 * initramfs with the module closure, boot it under TCG on a test-made ext4 base + qcow2 overlay
 * with a TEST-ONLY /init (a busybox script: insmod the listed modules, mount /dev/vda, print
 * markers, reboot), as root and as the unprivileged test user. Then the KVM probe: decided,
 * cached, and its boot-to-marker runner checked both ways (a TCG boot reaches the marker; a
 * too-short timeout fails and leaves no QEMU behind).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { resolvePaths } from '../../../src/core/paths.js';
import { resolveKernel } from '../../../src/kernels/resolve.js';
import { buildInitramfs } from '../../../src/kernels/initramfs.js';
import { guestAppend, qemuArgv } from '../../../src/drivers/microvm/qemu-cmdline.js';
import { kvmProbeArgv, kvmUsable, KERNEL_REACHED_INIT } from '../../../src/drivers/microvm/kvm-probe.js';
import { bootToMarker } from '../../../src/host/probes/kvm.js';
import { bootId, cacheFile } from '../../../src/host/probe-cache.js';
import { hostTscKhz } from '../../../src/host/tsc.js';
import type { Kernel } from '../../../src/kernels/kernel.js';
import { requireThat } from '../../helpers/requirements.js';
import { requireTestMirror } from '../../helpers/test-mirror.js';
import { ensureTestUser, TEST_USER } from '../../helpers/test-user.js';
import { processesMentioning } from '../../helpers/berth-cli.js';

const have = (cmd: string, arg = '--version') => spawnSync(cmd, [arg]).status === 0;
const ready =
  have('qemu-system-x86_64') &&
  have('qemu-img') &&
  existsSync('/bin/busybox') &&
  spawnSync('mke2fs', ['-V']).status === 0;
const isRoot = process.getuid?.() === 0;

const TEST_INIT = `#!/bin/busybox sh
export PATH=/bin
/bin/busybox mkdir -p /proc /dev /mnt
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
while read f; do /bin/busybox insmod "/lib/modules/$f" || echo "TEST-INSMOD-FAILED $f"; done < /etc/berth/modules
/bin/busybox mount -t ext4 /dev/vda /mnt && echo "TEST-DISK $(/bin/busybox cat /mnt/marker)" && echo written > /mnt/new-file && /bin/busybox umount /mnt
/bin/busybox mkdir -p /sys && /bin/busybox mount -t sysfs sys /sys
for i in 1 2 3 4 5 6 7 8 9 10; do /bin/busybox grep -qx berth.ctl /sys/class/virtio-ports/*/name 2>/dev/null && { echo TEST-CTL-PORT; break; }; /bin/busybox sleep 1; done
echo "TEST-MARKER $(/bin/busybox uname -r)"
/bin/busybox reboot -f
`;

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const work = mkdtempSync(join(tmpdir(), 'berth-microvm-boot-'));
chmodSync(work, 0o755);
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const paths = resolvePaths({ BERTH_ROOT: join(work, 'root') });
let kernel: Kernel | undefined;
let initrd = '';

test('the microvm kernel: fetched and verified once, then served from the cache', { timeout: 600_000 }, async (t) => {
  if (!requireThat(t, ready, 'qemu-system-x86, qemu-utils, e2fsprogs, busybox-static')) return;
  if (!requireTestMirror(t)) return;
  const progress: string[] = [];
  kernel = await resolveKernel(paths, 'microvm', { progress: (m) => progress.push(m) });
  assert.equal(kernel.origin, 'mirror');
  assert.equal(kernel.format, 'bzImage');
  assert.match(kernel.package!.name, /^linux-image-.*-cloud-amd64$/);
  assert.ok(
    progress.some((m) => m.includes('InRelease')) && progress.some((m) => m.endsWith('.deb')),
    progress.join('\n'),
  );
  assert.match(kernel.release ?? '', /-cloud-amd64$/);
  // No apt sources at all: only the cache can answer.
  const again = await resolveKernel(paths, 'microvm', { fetch: { sources: [] } });
  assert.deepEqual(again, kernel);
  assert.deepEqual(readFileSyncDirs(join(paths.kernels, 'microvm')), [kernel.version], 'no temporary directory left');
});

function readFileSyncDirs(dir: string): string[] {
  return spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
}

test('the initramfs: module closure in load order, cached on the second build', async (t) => {
  if (!requireThat(t, kernel !== undefined, 'the kernel from the first test')) return;
  writeFileSync(join(work, 'init'), TEST_INIT, { mode: 0o755 });
  const opts = { kernel: kernel!, init: join(work, 'init'), extra: [{ path: 'bin/busybox', source: '/bin/busybox' }] };
  const first = await buildInitramfs(opts);
  assert.equal(first.cached, false);
  assert.deepEqual(first.modules, ['virtio', 'virtio_ring', 'virtio_mmio', 'virtio_blk', 'virtio_console']);
  const list = spawnSync('sh', ['-c', `gzip -dc '${first.path}' | cpio -t --quiet`], { encoding: 'utf8' }).stdout.split(
    '\n',
  );
  for (const f of ['init', 'etc/berth/modules', 'lib/modules/virtio_mmio.ko', 'bin/busybox'])
    assert.ok(list.includes(f), `${f} in ${list.join(' ')}`);
  const second = await buildInitramfs(opts);
  assert.deepEqual(second, { ...first, cached: true });
  initrd = first.path;
});

for (const mode of ['root', 'rootless'] as const) {
  test(`boot under TCG to the test init: modules load, /dev/vda mounts (${mode})`, { timeout: 300_000 }, async (t) => {
    if (!requireThat(t, initrd !== '', 'the initramfs from the test before')) return;
    if (!requireThat(t, isRoot, 'root (to boot as root and as the test user)')) return;
    const dir = join(work, mode);
    mkdirSync(join(dir, 'rootdir'), { recursive: true });
    writeFileSync(join(dir, 'rootdir', 'marker'), `disk-of-${mode}\n`);
    const base = join(dir, 'base.ext4');
    const overlay = join(dir, 'overlay.qcow2');
    assert.equal(spawnSync('mke2fs', ['-q', '-t', 'ext4', '-d', join(dir, 'rootdir'), base, '16M']).status, 0);
    assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, overlay]).status, 0);
    const baseSum = sha(base);
    if (mode === 'rootless') {
      chmodSync(paths.data, 0o755); // root's store is 0700; let the test user read kernel and initramfs
      const u = ensureTestUser();
      chownSync(dir, u.uid, u.gid);
      chownSync(overlay, u.uid, u.gid);
    }
    const tscKhz = hostTscKhz();
    const argv = qemuArgv({
      accel: 'tcg',
      memoryMiB: 256,
      cpus: 1,
      kernel: kernel!.kernel,
      initrd,
      append: guestAppend({
        root: '/dev/vda',
        ctl: 'berth.ctl',
        hostname: 'boot-test',
        quiet: false,
        ...(tscKhz ? { tscKhz } : {}),
      }),
      disk: { path: overlay, format: 'qcow2' },
      controlSocket: join(dir, 'ctl.sock'),
      serial: { kind: 'file', path: join(dir, 'console.log') },
      network: { mode: 'none' },
    });
    const cmd = mode === 'root' ? argv : ['runuser', '-u', TEST_USER, '--', ...argv];
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const log = readFileSync(join(dir, 'console.log'), 'utf8');
    assert.equal(code, 0, `qemu: ${err}\n${log.slice(-2000)}`);
    assert.doesNotMatch(log, /TEST-INSMOD-FAILED/);
    assert.match(log, new RegExp(`TEST-DISK disk-of-${mode}`), log.slice(-3000));
    assert.match(log, /TEST-CTL-PORT/);
    assert.match(log, new RegExp(`TEST-MARKER ${kernel!.release!.replace(/\./g, '\\.')}`));
    assert.equal(sha(base), baseSum, 'the base is never written');
    const check = spawnSync('qemu-img', ['check', '-q', overlay]);
    assert.equal(check.status, 0, check.stderr.toString());
  });
}

test('KVM probe: a verdict at once when /dev/kvm is absent, cached for this boot', async (t) => {
  if (!requireThat(t, kernel !== undefined && initrd !== '', 'kernel and initramfs')) return;
  const cacheDir = join(work, 'probe-cache');
  const input = { cacheDir, kernel: kernel!.kernel, initrd, dev: join(work, 'no-such-kvm') };
  const v = await kvmUsable(input);
  assert.equal(v.ok, false);
  assert.match(v.detail, /absent/);
  const boot = bootId();
  if (boot) {
    const key = `microvm-kvm-boot-${process.getuid?.() ?? 0}`;
    const read = () =>
      (
        JSON.parse(readFileSync(cacheFile(cacheDir, boot), 'utf8')) as Record<
          string,
          { inputs: Record<string, unknown>; value: unknown }
        >
      )[key];
    // Cached with the inputs it was made from (ADR 0004): the device path is one of them.
    assert.deepEqual(read()?.value, v);
    assert.match(String(read()?.inputs.dev), /no-such-kvm@absent$/);
    // The same inputs answer from the cache; another device is a new verdict, never the stale one.
    assert.deepEqual(await kvmUsable(input), v);
    const other = await kvmUsable({ ...input, dev: join(work, 'other-kvm') });
    assert.match(other.detail, /other-kvm absent/);
    assert.match(String(read()?.inputs.dev), /other-kvm@absent$/);
  }
  assert.ok(kvmProbeArgv(input).includes('kvm'));
});

test('boot probe runner: a TCG boot reaches the marker; a short timeout fails and kills QEMU', {
  timeout: 300_000,
}, async (t) => {
  if (!requireThat(t, kernel !== undefined && initrd !== '', 'kernel and initramfs')) return;
  const tscKhz = hostTscKhz();
  const argv = qemuArgv({
    accel: 'tcg',
    memoryMiB: 128,
    cpus: 1,
    kernel: kernel!.kernel,
    initrd,
    append: guestAppend({
      root: '/dev/vda',
      quiet: false,
      extra: [`berth.probe=${process.pid}`],
      ...(tscKhz ? { tscKhz } : {}),
    }),
    serial: { kind: 'stdio' },
    network: { mode: 'none' },
  });
  const good = await bootToMarker({ argv, marker: KERNEL_REACHED_INIT, timeoutMs: 240_000, what: 'TCG' });
  assert.equal(good.ok, true, good.detail);
  const slow = await bootToMarker({ argv, marker: KERNEL_REACHED_INIT, timeoutMs: 200, what: 'KVM' });
  assert.equal(slow.ok, false);
  assert.match(slow.detail, /did not boot within 200 ms/);
  assert.deepEqual(processesMentioning(`berth.probe=${process.pid}`), []);
  const missing = await bootToMarker({
    argv: ['/nonexistent/qemu', ...argv.slice(1)],
    marker: 'x',
    timeoutMs: 5000,
    what: 'KVM',
  });
  assert.equal(missing.ok, false);
  assert.match(missing.detail, /cannot start|exited/);
});
