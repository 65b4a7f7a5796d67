/**
 * matrix-slurm (issue 14's goal): 8 short cells (chroot and container x 4 dir: copies of busybox, `true`)
 * through `berth matrix --on slurm` on the two-node loopback cluster of the tests, against the same
 * matrix run here with `-j 2`. Goal: Slurm within 1.3x of local. The notes give the scheduling
 * overhead per cell: (Slurm wall - local wall) / cells, from the medians. Root only (the cluster).
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, isRoot } from './common.js';
import {
  type SlurmCluster,
  slurmInstalled,
  startSlurmCluster,
  SLURM_PACKAGES,
} from '../../test/helpers/slurm-cluster.js';

const CELLS = 8;
const TAGS = ['img1', 'img2', 'img3', 'img4'];
const LOCAL = `berth matrix -j 2 (${CELLS} cells)`;
const SLURM = `berth matrix --on slurm (${CELLS} cells, 2 nodes)`;

export const matrixSlurm: Suite = {
  name: 'matrix-slurm',
  description: `${CELLS} short cells (chroot, container x 4 busybox copies, true): local -j 2 vs one Slurm job array`,
  async prepare({ repo }) {
    if (!isRoot()) return { name: SLURM, unavailable: 'needs root (it starts a Slurm cluster on loopback)' };
    if (!slurmInstalled())
      return { name: SLURM, unavailable: `Slurm is not installed (apt-get install ${SLURM_PACKAGES})` };
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: SLURM, unavailable: berth };
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-matrix-'));
    chmodSync(tmp, 0o755);
    let cluster: SlurmCluster | undefined;
    const cleanup = () => {
      cluster?.stop();
      rmSync(tmp, { recursive: true, force: true });
    };
    try {
      cluster = startSlurmCluster({ nodes: 2, cpusPerNode: 4 });
      const env = { ...process.env, ...cluster.env, BERTH_ROOT: join(tmp, 'root') };
      // Four images: copies of the builtin busybox's root filesystem as dir: images (built on first use).
      runOnce(
        { name: 'build', argv: [...berth, 'run', '--rm', '--backend', 'chroot', 'busybox', 'true'], env },
        300_000,
      );
      const builtin = join(tmp, 'root', 'images', 'builtin', 'busybox');
      const rootfs = join(builtin, readdirSync(builtin).find((d) => existsSync(join(builtin, d, 'rootfs')))!, 'rootfs');
      const images = TAGS.map((t) => {
        cpSync(rootfs, join(tmp, t), { recursive: true, verbatimSymlinks: true });
        return `dir:${join(tmp, t)}`;
      });
      const matrix = ['matrix', '--backend', 'chroot,container', '--image', images.join(','), '--jobs', '2'];
      const rows: Row[] = [
        { name: LOCAL, argv: [...berth, ...matrix, '--', 'true'], env, cwd: tmp },
        { name: SLURM, argv: [...berth, ...matrix, '--on', 'slurm', '--', 'true'], env, cwd: tmp },
      ];
      return {
        rows,
        baseline: LOCAL,
        cleanup,
        notes: () => `Scheduling overhead per cell: (${SLURM} - ${LOCAL}) / ${CELLS}, from the medians above.`,
      };
    } catch (e) {
      cleanup();
      throw e;
    }
  },
};
