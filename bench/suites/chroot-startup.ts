/**
 * chroot start-up: `berth run --rm --backend chroot busybox true` against the bare mechanism it
 * builds on (unshare + chroot into a hand-built busybox rootfs) and against Node's own start-up
 * (`node -e 0`, the floor of any Node CLI) and Node spawning that bare mechanism (the floor of any Node
 * CLI that starts it: Node, node:child_process, one spawn). Baseline: the bare unshare + chroot.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { fileIsStaticElf } from '../../src/host/probes/tools.js';
import { berthArgv, findExecutable, isRoot, nodeSpawnFloor } from './common.js';

const BERTH = 'berth run --rm --backend chroot busybox true';
const NODE = 'node -e 0';
const NODE_SPAWN = "node: spawn the bare row and wait for it (a Node CLI's floor)";

export const chrootStartup: Suite = {
  name: 'chroot-startup',
  description: 'start a command in a chroot and wait for it to exit (busybox true)',
  async prepare({ repo }) {
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-chroot-'));
    const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
    try {
      const rows: Row[] = [];

      // berth itself, with a private store; one untimed run builds the busybox image.
      const berth = berthArgv(repo);
      if (typeof berth === 'string') {
        rows.push({ name: BERTH, unavailable: berth });
      } else {
        const root = join(tmp, 'berth-root');
        mkdirSync(root);
        const cmd = {
          name: BERTH,
          argv: [...berth, 'run', '--rm', '--backend', 'chroot', 'busybox', 'true'],
          env: { ...process.env, BERTH_ROOT: root },
        };
        runOnce(cmd, 300_000);
        rows.push(cmd);
      }

      // The bare mechanism: a hand-built rootfs holding only a static busybox.
      const root = isRoot();
      const unshareArgs = root ? ['--mount'] : ['--mount', '--user', '--map-root-user'];
      const bare = `unshare ${unshareArgs.join(' ')} chroot <rootfs> /bin/true`;
      const busybox = findExecutable('busybox');
      const unshare = findExecutable('unshare');
      const chroot = findExecutable('chroot');
      if (!busybox || fileIsStaticElf(busybox) !== true) {
        rows.push({
          name: bare,
          unavailable: busybox
            ? `${busybox} is not static (apt-get install busybox-static)`
            : 'busybox not installed (apt-get install busybox-static)',
        });
      } else if (!unshare || !chroot) {
        rows.push({
          name: bare,
          unavailable: 'unshare or chroot not installed (apt-get install util-linux coreutils)',
        });
      } else {
        const rootfs = join(tmp, 'rootfs');
        mkdirSync(join(rootfs, 'bin'), { recursive: true });
        copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
        for (const applet of ['true', 'sh']) symlinkSync('busybox', join(rootfs, 'bin', applet));
        const argv = [unshare, ...unshareArgs, chroot, rootfs, '/bin/true'];
        rows.push({ name: bare, argv });
        rows.push(nodeSpawnFloor(NODE_SPAWN, argv));
      }

      rows.push({ name: NODE, argv: [process.execPath, '-e', '0'] });
      return { rows, baseline: bare, cleanup };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
