/**
 * fast-start (issue 13): a cold `berth run --rm --backend microvm busybox true` against
 * `berth run --rm --template T -- true`, a clone resumed from a template's saved VM state (its own
 * qcow2 overlay, `-incoming`, then IDENTITY: hostname, clock, CRNG reseed). TCG here (no KVM); the
 * issue's goal is the clone at most 0.2x the cold boot. The notes give the template's creation
 * time and its size on disk. uml (which cannot snapshot): a cold `berth run --rm --backend uml
 * busybox true` against `berth run --rm --pool bench -- true` in a warm pool of 2 (ADR 0057; goal
 * at most 0.1x), paired with the uml cold row; after each pool run the refill is let finish
 * (untimed), so no run is measured beside a boot.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable } from './common.js';
import { clonesAtOnce } from './template-clones.js';

export const fastStart: Suite = {
  name: 'fast-start',
  description:
    'microvm (TCG here): cold boot vs a clone resumed from a template (berth template create); uml: cold boot vs a claim from a warm pool (berth pool create)',
  async prepare({ repo }) {
    if (!findExecutable('qemu-system-x86_64') || !findExecutable('qemu-img'))
      return { name: 'fast-start', unavailable: 'qemu not installed (apt-get install qemu-system-x86 qemu-utils)' };
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'fast-start', unavailable: berth };
    const accel = process.env.BERTH_BENCH_ACCEL === 'kvm' ? 'kvm' : 'tcg';
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-fast-start-'));
    // root's uml kernel runs as a uid of its own (ADR 0046): it must be able to search the store.
    chmodSync(tmp, 0o711);
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
      // Untimed, once: 20 clones at once (issue 13's crowd goal), reported in the notes.
      const crowd = await clonesAtOnce(berth, env);
      const rows: Row[] = [
        cold,
        { name: CLONE, argv: [...berth, 'run', '--rm', '--template', 'bench', '--', 'true'], env },
        ...umlRows(berth, env, root),
      ];
      return {
        rows,
        baseline: COLD,
        targets: { [CLONE]: 0.2, [UML_POOL]: 0.1 },
        cleanup: () => {
          spawnSync(berth[0]!, [...berth.slice(1), 'pool', 'rm', '-f', 'bench'], { env, timeout: 120_000 });
          cleanup();
        },
        notes: () =>
          `Template \`bench\` (busybox, 256 MiB guest): made in ${t.createSeconds} s (boot, setup, save), ${(t.sizeBytes / 1048576).toFixed(1)} MiB on disk (the RAM file with its zero pages as holes, the device state, the frozen disk's own clusters; ADR 0066). ${crowd} The uml pool row's ratio (and its target) is to the uml cold row, paired per round; the refill after each pool run was let finish untimed.`,
      };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed preparation failed: ${e.message}`);
      throw e;
    }
  },
};

const UML_COLD = 'berth run --rm --backend uml busybox true';
const UML_POOL = 'berth run --rm --pool bench -- true (uml pool of 2)';

/** Wait (untimed) until pool bench is full and no refill runs. */
function poolFull(root: string, size: number): void {
  const dir = join(root, 'pools', 'bench');
  const end = Date.now() + 300_000;
  const ls = (d: string) => {
    try {
      return readdirSync(join(dir, d)).length;
    } catch {
      return -1;
    }
  };
  while (!(ls('idle') === size && ls('building') === 0)) {
    if (Date.now() > end) throw new BenchFailure(UML_POOL, 'the pool did not fill up again in 300 s');
    spawnSync('sleep', ['0.1']);
  }
}

/** The uml rows: a cold boot and a claim from a warm pool (made here, untimed), or why not. */
function umlRows(berth: string[], env: NodeJS.ProcessEnv, root: string): Row[] {
  if (!findExecutable('linux.uml')) {
    const why = 'user-mode-linux not installed (apt-get install user-mode-linux)';
    return [
      { name: UML_COLD, unavailable: why },
      { name: UML_POOL, unavailable: why },
    ];
  }
  const cold = { name: UML_COLD, argv: [...berth, 'run', '--rm', '--backend', 'uml', 'busybox', 'true'], env };
  runOnce(cold, 900_000);
  const made = spawnSync(
    berth[0]!,
    [...berth.slice(1), 'pool', 'create', 'bench', '--size', '2', '--backend', 'uml', 'busybox'],
    {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (made.status !== 0) throw new BenchFailure('pool create', made.stderr.trim());
  return [
    cold,
    {
      name: UML_POOL,
      argv: [...berth, 'run', '--rm', '--pool', 'bench', '--', 'true'],
      env,
      baseline: UML_COLD,
      settle: () => poolFull(root, 2),
    },
  ];
}
