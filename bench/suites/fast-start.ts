/**
 * fast-start (issue 13): a cold `berth run --rm --backend microvm busybox true` against
 * `berth run --rm --template T -- true`, a clone resumed from a template's saved VM state (its own
 * qcow2 overlay, `-incoming`, then IDENTITY: hostname, clock, CRNG reseed). TCG here (no KVM); the
 * issue's goal is the clone at most 0.2x the cold boot. The notes give the template's creation
 * time and its size on disk.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable } from './common.js';

export const fastStart: Suite = {
  name: 'fast-start',
  description: 'microvm (TCG here): cold boot vs a clone resumed from a template (berth template create)',
  async prepare({ repo }) {
    if (!findExecutable('qemu-system-x86_64') || !findExecutable('qemu-img'))
      return { name: 'fast-start', unavailable: 'qemu not installed (apt-get install qemu-system-x86 qemu-utils)' };
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'fast-start', unavailable: berth };
    const accel = process.env.BERTH_BENCH_ACCEL === 'kvm' ? 'kvm' : 'tcg';
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-fast-start-'));
    const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
    try {
      const root = join(tmp, 'berth-root');
      mkdirSync(root);
      const env = { ...process.env, BERTH_ROOT: root };
      const COLD = `berth run --rm --backend microvm --accel ${accel} busybox true`;
      const cold = {
        name: COLD,
        argv: [...berth, 'run', '--rm', '--backend', 'microvm', '--accel', accel, 'busybox', 'true'],
        env,
      };
      // Untimed: fetches the kernel, builds the image, its base disk and the initramfs.
      runOnce(cold, 900_000);
      const create = [...berth, 'template', 'create', 'bench', '--backend', 'microvm', '--accel', accel, 'busybox'];
      const made = spawnSync(create[0]!, create.slice(1), { env, encoding: 'utf8', timeout: 600_000 });
      if (made.status !== 0) throw new BenchFailure('template create', made.stderr.trim());
      const inspect = spawnSync(berth[0]!, [...berth.slice(1), 'template', 'inspect', 'bench'], {
        env,
        encoding: 'utf8',
      });
      const t = (JSON.parse(inspect.stdout) as { createSeconds: number; sizeBytes: number }[])[0]!;
      const CLONE = 'berth run --rm --template bench -- true';
      const rows: Row[] = [
        cold,
        { name: CLONE, argv: [...berth, 'run', '--rm', '--template', 'bench', '--', 'true'], env },
      ];
      return {
        rows,
        baseline: COLD,
        cleanup,
        notes: () =>
          `Template \`bench\` (busybox, 256 MiB guest): made in ${t.createSeconds} s (boot, setup, save), ${(t.sizeBytes / 1048576).toFixed(1)} MiB on disk (saved VM state + the frozen disk's own clusters).`,
      };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed preparation failed: ${e.message}`);
      throw e;
    }
  },
};
