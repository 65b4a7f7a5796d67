/**
 * uml start-up: `berth run --rm --backend uml busybox true` against a hand-written linux.uml boot
 * of the same kernel and the same base disk (a fresh COW file each time) straight to poweroff
 * (`init=/bin/busybox -- poweroff -f`): the floor for booting this kernel. The baseline passes
 * the same boot-time skips as berth (UML_BOOT_SKIPS, ADR 0077), so the ratio is berth's own cost;
 * a third row is the hand-written boot without them. Issue 5's target is berth <= 1.15x the
 * baseline.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable } from './common.js';
import { UML_BOOT_SKIPS } from '../../src/drivers/uml/uml-cmdline.js';

const BERTH = 'berth run --rm --backend uml busybox true';
const BARE = "linux.uml <same kernel, base + fresh COW, berth's boot-time skips> init=/bin/busybox -- poweroff -f";
const PLAIN = 'linux.uml <same kernel, base + fresh COW, no skips> init=/bin/busybox -- poweroff -f';

export const umlStartup: Suite = {
  name: 'uml-startup',
  description: 'boot a User-mode Linux guest, run busybox true, power off',
  async prepare({ repo }) {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-uml-'));
    // Root's uml kernel runs as an unprivileged uid of its own (ADR 0046): it must reach the store.
    chmodSync(tmp, 0o755);
    const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
    try {
      const rows: Row[] = [];
      const kernel = findExecutable('linux.uml');
      const berth = berthArgv(repo);
      if (!kernel) return { name: BERTH, unavailable: 'linux.uml not installed (apt-get install user-mode-linux)' };
      if (typeof berth === 'string') return { name: BERTH, unavailable: berth };
      const root = join(tmp, 'berth-root');
      mkdirSync(root);
      const cmd = {
        name: BERTH,
        argv: [...berth, 'run', '--rm', '--backend', 'uml', 'busybox', 'true'],
        env: { ...process.env, BERTH_ROOT: root },
      };
      // One untimed run builds the image, its base disk and the initramfs.
      runOnce(cmd, 300_000);
      rows.push(cmd);
      const baseDir = join(root, 'images', 'disks');
      const base = join(baseDir, readdirSync(baseDir).find((f) => f.endsWith('.ext4'))!);
      const cow = join(tmp, 'bare.cow');
      const script = (lines: readonly string[]): string =>
        `rm -f ${cow}; exec ${kernel} mem=256M umid=bench-bare uml_dir=${tmp} ubd0=${cow},${base} ${lines.join(' ')} con0=null,fd:1 ` +
        'root=/dev/ubda rootfstype=ext4 quiet init=/bin/busybox -- poweroff -f >/dev/null 2>&1 </dev/null';
      rows.push({ name: BARE, argv: ['sh', '-c', script(UML_BOOT_SKIPS)] });
      rows.push({ name: PLAIN, argv: ['sh', '-c', script(['con=null', 'ssl=null'])] });
      return { rows, baseline: BARE, targets: { [BERTH]: 1.15 }, cleanup };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
