/**
 * microvm boot: `berth run --rm --backend microvm --accel tcg busybox true` against a hand-written
 * QEMU command line booting the same cloud kernel (from the same berth cache), the same module
 * set in an initramfs and the same base disk under a fresh qcow2 overlay each time, to a test
 * /init that loads the modules, mounts /dev/vda and reboots (QEMU exits: -no-reboot): the floor
 * for booting this kernel to a mounted root. Issue 6's target is berth <= 1.15x that baseline.
 * TCG here (no KVM); on a KVM host pass BERTH_BENCH_ACCEL=kvm to measure both under KVM.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { resolvePaths } from '../../src/core/paths.js';
import { resolveKernel } from '../../src/kernels/resolve.js';
import { buildInitramfs } from '../../src/kernels/initramfs.js';
import { guestAppend, qemuArgv } from '../../src/drivers/microvm/qemu-cmdline.js';
import { hostTscKhz } from '../../src/host/tsc.js';
import { berthArgv, findExecutable } from './common.js';

const INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
while read f; do /bin/busybox insmod "/lib/modules/$f" || exit 1; done < /etc/berth/modules
/bin/busybox mkdir -p /mnt && /bin/busybox mount -t ext4 /dev/vda /mnt || exit 1
/bin/busybox reboot -f
`;

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const microvmBoot: Suite = {
  name: 'microvm-boot',
  description:
    "boot Debian's cloud kernel in QEMU microvm (TCG here) to a mounted root disk: berth run vs a hand-written qemu command line",
  async prepare({ repo }) {
    const qemu = findExecutable('qemu-system-x86_64');
    const qemuImg = findExecutable('qemu-img');
    if (!qemu || !qemuImg)
      return { name: 'microvm-boot', unavailable: 'qemu not installed (apt-get install qemu-system-x86 qemu-utils)' };
    if (!existsSync('/bin/busybox'))
      return { name: 'microvm-boot', unavailable: 'no static /bin/busybox (apt-get install busybox-static)' };
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'microvm-boot', unavailable: berth };
    const accel = process.env.BERTH_BENCH_ACCEL === 'kvm' ? 'kvm' : 'tcg';
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-microvm-'));
    const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
    try {
      const root = join(tmp, 'berth-root');
      mkdirSync(root);
      const BERTH = `berth run --rm --backend microvm --accel ${accel} busybox true`;
      const cmd = {
        name: BERTH,
        argv: [...berth, 'run', '--rm', '--backend', 'microvm', '--accel', accel, 'busybox', 'true'],
        env: { ...process.env, BERTH_ROOT: root },
      };
      // One untimed run fetches the kernel and builds the image, its base disk and the initramfs.
      runOnce(cmd, 900_000);
      const kernel = await resolveKernel(resolvePaths({ BERTH_ROOT: root }), 'microvm');
      writeFileSync(join(tmp, 'init'), INIT, { mode: 0o755 });
      const initrd = await buildInitramfs({
        kernel,
        init: join(tmp, 'init'),
        extra: [{ path: 'bin/busybox', source: '/bin/busybox' }],
      });
      const disks = join(root, 'images', 'disks');
      const base = join(disks, readdirSync(disks).find((f) => f.endsWith('.ext4'))!);
      const overlay = join(tmp, 'bare.qcow2');
      const tscKhz = hostTscKhz();
      const argv = qemuArgv({
        binary: qemu,
        accel,
        memoryMiB: 256,
        cpus: 1,
        kernel: kernel.kernel,
        initrd: initrd.path,
        append: guestAppend({ root: '/dev/vda', ...(accel === 'tcg' && tscKhz ? { tscKhz } : {}) }),
        disk: { path: overlay, format: 'qcow2' },
        serial: { kind: 'none' },
        network: { mode: 'none' },
      });
      const BARE = `qemu -M microvm -accel ${accel} <same kernel ${kernel.release}, ${initrd.modules.length} modules, base + fresh qcow2> mount root, reboot`;
      const script = `rm -f ${shq(overlay)}; ${shq(qemuImg)} create -q -f qcow2 -F raw -b ${shq(base)} ${shq(overlay)} && exec ${argv.map(shq).join(' ')} </dev/null >/dev/null 2>&1`;
      const rows: Row[] = [cmd, { name: BARE, argv: ['sh', '-c', script] }];
      return { rows, baseline: BARE, targets: { [BERTH]: 1.15 }, cleanup };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
