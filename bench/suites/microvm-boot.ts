/**
 * microvm boot: a hand-written QEMU command line booting Debian's cloud kernel (fetched and cached
 * by berth) with berth's initramfs (module closure: virtio, virtio_ring, virtio_mmio, virtio_blk,
 * virtio_console) on an ext4 base + qcow2 overlay, to a test /init that loads the modules, mounts
 * /dev/vda and reboots (QEMU exits: -no-reboot). TCG unless KVM is usable. This is the baseline
 * `berth run --backend microvm busybox true` is measured against once that driver exists.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row, Suite } from '../harness.js';
import { resolvePaths } from '../../src/core/paths.js';
import { resolveKernel } from '../../src/kernels/resolve.js';
import { buildInitramfs } from '../../src/kernels/initramfs.js';
import { guestAppend, qemuArgv } from '../../src/drivers/microvm/qemu-cmdline.js';
import { hostTscKhz } from '../../src/host/tsc.js';
import { findExecutable } from './common.js';

const INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
while read f; do /bin/busybox insmod "/lib/modules/$f" || exit 1; done < /etc/berth/modules
/bin/busybox mkdir -p /mnt && /bin/busybox mount -t ext4 /dev/vda /mnt || exit 1
/bin/busybox reboot -f
`;

export const microvmBoot: Suite = {
  name: 'microvm-boot',
  description: 'boot Debian\'s cloud kernel in QEMU microvm (TCG here) with berth\'s initramfs to a mounted root disk, then exit',
  async prepare() {
    const qemu = findExecutable('qemu-system-x86_64');
    const qemuImg = findExecutable('qemu-img');
    if (!qemu || !qemuImg) return { name: 'microvm-boot', unavailable: 'qemu not installed (apt-get install qemu-system-x86 qemu-utils)' };
    if (!existsSync('/bin/busybox')) return { name: 'microvm-boot', unavailable: 'no static /bin/busybox (apt-get install busybox-static)' };
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-microvm-'));
    const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
    try {
      const kernel = await resolveKernel(resolvePaths({ BERTH_ROOT: join(tmp, 'root') }), 'microvm');
      writeFileSync(join(tmp, 'init'), INIT, { mode: 0o755 });
      const initrd = await buildInitramfs({ kernel, init: join(tmp, 'init'), extra: [{ path: 'bin/busybox', source: '/bin/busybox' }] });
      mkdirSync(join(tmp, 'rootdir'));
      writeFileSync(join(tmp, 'rootdir', 'marker'), 'bench\n');
      const base = join(tmp, 'base.ext4');
      const overlay = join(tmp, 'overlay.qcow2');
      if (spawnSync('mke2fs', ['-q', '-t', 'ext4', '-d', join(tmp, 'rootdir'), base, '16M']).status !== 0) throw new Error('mke2fs failed');
      if (spawnSync(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', base, overlay]).status !== 0) throw new Error('qemu-img failed');
      const tscKhz = hostTscKhz();
      const name = `qemu -M microvm -accel tcg (cloud kernel ${kernel.release}, ${initrd.modules.length} modules)`;
      const argv = qemuArgv({
        binary: qemu, accel: 'tcg', memoryMiB: 256, cpus: 1, kernel: kernel.kernel, initrd: initrd.path,
        append: guestAppend({ root: '/dev/vda', ...(tscKhz ? { tscKhz } : {}) }),
        disk: { path: overlay, format: 'qcow2' }, serial: { kind: 'none' }, network: { mode: 'none' },
      });
      const rows: Row[] = [
        { name, argv },
        { name: 'berth run --rm --backend microvm busybox true', unavailable: 'the microvm driver is not built yet' },
      ];
      return { rows, baseline: name, cleanup };
    } catch (e) {
      cleanup();
      throw e;
    }
  },
};
