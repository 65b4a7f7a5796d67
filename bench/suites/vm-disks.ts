/**
 * VM disks: what N environments of one image cost on the host disk (issue 4: "disk used by 100
 * environments of one image ~ one image + their writes"). Builds the busybox base once with
 * `berth disk`, gives N environments (default 100, BENCH_DISK_ENVS) a qcow2 overlay each
 * (createQcow2Overlay, as the microvm driver will) and a UML COW file each (uml_mkcow: the format
 * UML makes at boot), writes 1 MiB into every qcow2 overlay with qemu-io, and reports allocated
 * bytes (`du`-style: st_blocks). Timing rows: one overlay vs one full copy of the base.
 * Everything lives in one temp dir, removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Suite } from '../harness.js';
import { berthArgv, findExecutable, tool } from './common.js';
import { allocatedBytes, baseDigest, createQcow2Overlay } from '../../src/disks/index.js';

const MIB = 1024 ** 2;
const WRITE_BYTES = MIB;
const mib = (b: number): string => `${(b / MIB).toFixed(2)} MiB`;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function envCount(): number {
  const v = process.env.BENCH_DISK_ENVS;
  const n = v === undefined || v === '' ? 100 : Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`invalid BENCH_DISK_ENVS ${JSON.stringify(v)}: want an integer >= 1`);
  return n;
}

function must(argv: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    env: env ?? process.env,
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export const vmDisks: Suite = {
  name: 'vm-disks',
  description:
    'host disk used by N VM environments of one image: one shared ext4 base + per-environment qcow2 overlays / UML COW files',
  async prepare({ repo }) {
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    for (const [bin, pkg] of [
      ['qemu-img', 'qemu-utils'],
      ['qemu-io', 'qemu-utils'],
      ['uml_mkcow', 'uml-utilities'],
      ['mke2fs', 'e2fsprogs'],
    ]) {
      if (!findExecutable(bin as string))
        return { name: 'vm-disks', unavailable: `${bin} not installed (apt-get install ${pkg})` };
    }
    const n = envCount();
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-disks-'));
    try {
      const root = join(tmp, 'berth-root');
      mkdirSync(root);
      const base = JSON.parse(must([...berth, 'disk', '--json', 'busybox'], { ...process.env, BERTH_ROOT: root })) as {
        path: string;
        sizeBytes: number;
      };
      const digest = await baseDigest(base.path);
      const envs = join(tmp, 'envs');
      mkdirSync(envs);
      const fresh: number[] = [];
      const written: number[] = [];
      const cows: number[] = [];
      for (let i = 0; i < n; i++) {
        const dir = join(envs, String(i));
        mkdirSync(dir);
        const o = await createQcow2Overlay({ base, overlay: join(dir, 'disk.qcow2') });
        fresh.push(allocatedBytes(o.path));
        must([
          findExecutable('qemu-io')!,
          '-f',
          'qcow2',
          '-c',
          `write -P ${i % 256} ${(i % 64) * MIB} ${WRITE_BYTES}`,
          o.path,
        ]);
        written.push(allocatedBytes(o.path));
        must([findExecutable('uml_mkcow')!, join(dir, 'disk.cow'), base.path]);
        cows.push(allocatedBytes(join(dir, 'disk.cow')));
      }
      if ((await baseDigest(base.path)) !== digest)
        throw new Error('the base changed while environments wrote to their overlays');
      const baseBytes = allocatedBytes(base.path);
      const writes = n * WRITE_BYTES;
      const total = baseBytes + sum(written);
      const rows = [
        {
          name: 'qemu-img create -f qcow2 -F raw -b BASE overlay (one more environment)',
          argv: [
            findExecutable('qemu-img')!,
            'create',
            '-q',
            '-f',
            'qcow2',
            '-F',
            'raw',
            '-b',
            base.path,
            join(tmp, 'timed.qcow2'),
          ],
        },
        tool(
          'cp --sparse=always BASE copy (a private copy per environment)',
          'cp',
          ['--sparse=always', base.path, join(tmp, 'timed-copy.ext4')],
          'coreutils',
        ),
      ];
      const notes = (): string =>
        [
          `| ${n} environments of busybox | allocated on the host |`,
          '|---|---:|',
          `| ext4 base (virtual ${mib(base.sizeBytes)}, shared, 0444) | ${mib(baseBytes)} |`,
          `| ${n} fresh qcow2 overlays (sum) | ${mib(sum(fresh))} (${(sum(fresh) / n / 1024).toFixed(0)} KiB each) |`,
          `| ${n} qcow2 overlays after each wrote 1 MiB (sum) | ${mib(sum(written))} |`,
          `| ${n} fresh UML COW files (sum) | ${mib(sum(cows))} (${(sum(cows) / n / 1024).toFixed(0)} KiB each) |`,
          `| base + overlays after the writes | ${mib(total)} = base + writes (${mib(baseBytes + writes)}) x ${(total / (baseBytes + writes)).toFixed(2)} |`,
          `| ${n} private copies of the base instead | ${mib(n * baseBytes)} |`,
          '',
          'Allocated = st_blocks x 512 (what `du` counts). Writes: `qemu-io -c "write -P i OFFSET 1M"` into each overlay. ' +
            'The base digest (sha256 of the file) was the same before and after every write.',
        ].join('\n');
      return { rows, baseline: rows[0]!.name, notes, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  },
};
