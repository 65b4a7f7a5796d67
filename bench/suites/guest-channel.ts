/**
 * The VM guest channel (issue 19): 64 MiB (BENCH_CHANNEL_MIB) through one running microvm
 * environment's control channel: `exec -i` into sha256sum and into `cat > /dev/null` (the channel
 * alone), `exec` stdout out of the guest, and `berth cp` of a file in. Each figure is the median
 * of BENCH_CHANNEL_REPS transfers (default 3), rows interleaved round-robin, in MB/s (10^6 bytes
 * per second) of wall time, the exec's own start included. Also measured in the guest: sha256sum
 * of the same bytes from its own memory, the ceiling of the first row under TCG. Each row reports
 * its spread (IQR and min-max in MB/s); the first row is judged against issue 19's 50 MB/s by
 * the median's distribution-free interval (paired-ratios.ts), as the ratio targets are.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Suite, runOnce } from '../harness.js';
import { judgeAtMost, summarizeRatios } from '../paired-ratios.js';
import { berthArgv, findExecutable } from './common.js';

const NAME = 'bench-channel';

export const guestChannel: Suite = {
  name: 'guest-channel',
  description: "64 MiB through a microvm's guest channel (TCG here): exec -i in, exec stdout out, berth cp in",
  async prepare({ repo }) {
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'guest-channel', unavailable: berth };
    if (!findExecutable('qemu-system-x86_64'))
      return { name: 'guest-channel', unavailable: 'qemu not installed (apt-get install qemu-system-x86)' };
    const mib = Number(process.env.BENCH_CHANNEL_MIB ?? 64);
    const reps = Number(process.env.BENCH_CHANNEL_REPS ?? 3);
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-channel-'));
    const env = { ...process.env, BERTH_ROOT: join(tmp, 'root') };
    const cleanup = (): void => {
      spawnSync(berth[0]!, [...berth.slice(1), 'rm', '-f', NAME], { env, stdio: 'ignore' });
      rmSync(tmp, { recursive: true, force: true });
    };
    try {
      const file = join(tmp, 'data');
      writeFileSync(file, randomBytes(mib * 1024 * 1024));
      const b = berth.map((a) => `'${a}'`).join(' ');
      const sh = (name: string, script: string) => ({ name, argv: ['sh', '-c', script], env });
      runOnce(
        {
          name: 'start',
          argv: [...berth, 'run', '-d', '--backend', 'microvm', '--name', NAME, 'busybox', 'sleep', '1d'],
          env,
        },
        900_000,
      );
      runOnce(sh('stage', `${b} exec -i ${NAME} sh -c 'cat > /dev/shm/f' < '${file}'`), 600_000);
      const rows = [
        sh(`exec -i ${mib} MiB into sha256sum`, `${b} exec -i ${NAME} sha256sum < '${file}' > /dev/null`),
        sh(`exec -i ${mib} MiB into cat > /dev/null`, `${b} exec -i ${NAME} sh -c 'cat > /dev/null' < '${file}'`),
        sh(`exec stdout ${mib} MiB out`, `${b} exec ${NAME} cat /dev/shm/f > /dev/null`),
        sh(`berth cp of a ${mib} MiB file in`, `${b} cp '${file}' ${NAME}:/tmp/ && ${b} exec ${NAME} rm /tmp/data`),
        sh(`in the guest: sha256sum of ${mib} MiB in its memory`, `${b} exec ${NAME} sha256sum /dev/shm/f > /dev/null`),
        sh('exec true (the cost of one exec)', `${b} exec ${NAME} true`),
      ];
      const samples = new Map<string, number[]>(rows.map((r) => [r.name, []]));
      for (let i = 0; i < reps; i++)
        for (let k = 0; k < rows.length; k++) {
          const r = rows[(i + k) % rows.length]!;
          samples.get(r.name)!.push(runOnce(r, 600_000));
        }
      const bytes = mib * 1024 * 1024;
      const rate = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
      const figures = rows.map((r) => ({ name: r.name, s: summarizeRatios(samples.get(r.name)!) }));
      const goal = figures[0]!.s;
      const goalMs = (bytes / 50e6) * 1000;
      const notes = () =>
        [
          '| microvm, one environment | median s | MB/s | MB/s IQR | MB/s min-max | runs |',
          '|---|---:|---:|---:|---:|---:|',
          ...figures.map(({ name, s }) =>
            name.startsWith('exec true')
              ? `| ${name} | ${(s.median / 1000).toFixed(2)} |  |  |  | ${s.n} |`
              : `| ${name} | ${(s.median / 1000).toFixed(2)} | ${rate(s.median)} | ${rate(s.q3)}-${rate(s.q1)} | ${rate(s.max)}-${rate(s.min)} | ${s.n} |`,
          ),
          '',
          `- Target: \`exec -i\` into sha256sum at least 50 MB/s (the whole command at most ${(goalMs / 1000).toFixed(2)} s): ${rate(goal.median)} MB/s (n=${goal.n}${goal.ci ? `, ${(goal.ci.level * 100).toFixed(1)}% interval ${rate(goal.ci.high)}-${rate(goal.ci.low)} MB/s` : ''}): ${judgeAtMost(goal, goalMs)}`,
          `- median of ${reps}, rows interleaved round-robin, load average ${loadavg()[0]!.toFixed(1)} when done; MB/s = 10^6 bytes per second of the whole command (its start included); the host's ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores run QEMU's vCPU, the monitor and the CLI`,
        ].join('\n');
      return { rows: [], baseline: '', notes, cleanup };
    } catch (e) {
      cleanup();
      throw e;
    }
  },
};
