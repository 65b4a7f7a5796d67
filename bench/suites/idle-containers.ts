/**
 * Idle containers: what each detached, idle container costs the host while it runs. Starts N
 * `berth run -d --backend container -- sleep 3600` (default 50, BENCH_IDLE_BERTH) and reads, per
 * container, the resident memory of berth's processes that stay alive (the berth-shim monitor
 * and berth's init, PID 1 in the container; VmRSS from /proc/PID/status, pids from pids.json) and
 * the disk the environment adds before the command writes anything (`du -sk` of envs/<id>).
 * Compared with podman's conmon for M idle podman containers (default 10, BENCH_IDLE_PODMAN).
 * Everything is removed afterwards (`berth rm -f`, `podman rm -f`) and checked gone.
 * Not a timing suite: its figures are a table of their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Suite, runOnce } from '../harness.js';
import { berthArgv } from './common.js';
import {
  HostTraces,
  PODMAN_IMAGE,
  type Podman,
  berthEnvs,
  berthRemoveAll,
  mountsUnder,
  run,
  setupPodman,
} from './container-startup.js';

interface Figures {
  n: number;
  rssKiB: number[];
  initRssKiB: number[];
  anonKiB: number[];
  diskKiB: number[];
}

function count(env: string | undefined, d: number): number {
  const n = env === undefined || env === '' ? d : Number(env);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`invalid container count ${JSON.stringify(env)}: want an integer >= 1`);
  return n;
}

function status(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

function alive(pid: number): boolean {
  try {
    // A zombie has no memory any more and counts as gone.
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const max = (xs: number[]): number => Math.max(...xs);
const kib = (x: number): string => `${Math.round(x)} KiB`;

/** Cgroup dirs named after an id in any hierarchy (berth's are <hier>/berth/<id>). */
function cgroupsOf(id: string): string[] {
  const cg = '/sys/fs/cgroup';
  const out: string[] = [];
  for (const h of existsSync(cg) ? readdirSync(cg) : []) {
    for (const p of [join(cg, h, 'berth', id), join(cg, 'berth', id), join(cg, h, 'libpod_parent', `libpod-${id}`)])
      if (existsSync(p)) out.push(p);
  }
  return out;
}

export const idleContainers: Suite = {
  name: 'idle-containers',
  description:
    'what an idle detached container costs while it runs: resident memory of the processes the tool keeps per container, and the disk a fresh container adds',
  async prepare({ repo }) {
    const nBerth = count(process.env.BENCH_IDLE_BERTH, 50);
    const nPodman = count(process.env.BENCH_IDLE_PODMAN, 10);
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-idle-'));
    const traces = new HostTraces();
    const root = join(tmp, 'berth-root');
    mkdirSync(root);
    const env = { ...process.env, BERTH_ROOT: root };
    let podman: Podman | string = 'not set up';
    const watched: number[] = [];
    const ids: string[] = [];
    const podmanIds: string[] = [];

    /** Remove everything and list what is left (processes, environments, cgroups, mounts, store). */
    const teardown = (): string[] => {
      const left: string[] = [];
      berthRemoveAll(berth, root);
      if (berthEnvs(root).length) left.push(`${berthEnvs(root).length} berth environments`);
      if (typeof podman !== 'string') {
        spawnSync(podman.argv[0] as string, [...podman.argv.slice(1), 'rm', '-f', '-t', '0', ...podmanIds], {
          timeout: 300_000,
        });
        const ps = spawnSync(podman.argv[0] as string, [...podman.argv.slice(1), 'ps', '-aq'], { encoding: 'utf8' });
        if (ps.stdout?.trim()) left.push(`podman containers ${ps.stdout.trim().split('\n').join(', ')}`);
        try {
          podman.remove();
        } catch (e) {
          left.push(e instanceof Error ? e.message : String(e));
        }
      }
      // A reaped monitor can linger a moment as a zombie of PID 1.
      const deadline = Date.now() + 5000;
      while (watched.some(alive) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
      const live = watched.filter(alive);
      if (live.length) left.push(`processes ${live.join(', ')}`);
      for (const id of [...ids, ...podmanIds]) left.push(...cgroupsOf(id).map((c) => `cgroup ${c}`));
      for (const m of mountsUnder(tmp)) spawnSync('umount', ['-l', m]);
      left.push(...mountsUnder(tmp).map((m) => `mount ${m}`));
      left.push(...traces.undo());
      rmSync(tmp, { recursive: true, force: true });
      return left;
    };

    try {
      // berth: start N idle containers, then read every one.
      const start = {
        name: 'berth run -d --backend container -- sleep 3600',
        argv: [...berth, 'run', '-d', '-q', '--backend', 'container', '--', 'sleep', '3600'],
        env,
      };
      for (let i = 0; i < nBerth; i++) runOnce(start, 300_000);
      ids.push(...berthEnvs(root));
      if (ids.length !== nBerth) throw new Error(`started ${nBerth} berth containers, found ${ids.length}`);
      const b: Figures = { n: ids.length, rssKiB: [], initRssKiB: [], anonKiB: [], diskKiB: [] };
      for (const id of ids) {
        const dir = join(root, 'envs', id);
        let pids: { monitor: number; child: number } | undefined;
        for (let t = 0; t < 200 && !pids; t++) {
          try {
            pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { monitor: number; child: number };
          } catch {
            spawnSync('sleep', ['0.01']);
          }
        }
        if (!pids) throw new Error(`berth env ${id}: no pids.json`);
        watched.push(pids.monitor, pids.child);
        b.rssKiB.push(status(pids.monitor, 'VmRSS'));
        b.anonKiB.push(status(pids.monitor, 'RssAnon'));
        b.initRssKiB.push(status(pids.child, 'VmRSS'));
        b.diskKiB.push(Number(run(['du', '-sk', dir]).split('\t')[0]));
      }

      // podman: M idle containers, conmon's RSS (disk: its container dirs, same idea).
      let p: Figures | string;
      podman = setupPodman(tmp, join(root, 'images', 'builtin', 'busybox', 'current', 'rootfs'));
      if (typeof podman === 'string') {
        p = podman;
      } else {
        p = { n: nPodman, rssKiB: [], initRssKiB: [], anonKiB: [], diskKiB: [] };
        for (let i = 0; i < nPodman; i++) {
          podmanIds.push(
            run([
              ...podman.argv,
              'run',
              '-d',
              '--network',
              'none',
              '--runtime',
              'runc',
              ...podman.runFlags,
              PODMAN_IMAGE,
              'sleep',
              '3600',
            ]).trim(),
          );
        }
        for (const id of podmanIds) {
          const [conmon, pid, upper] = run([
            ...podman.argv,
            'inspect',
            '--format',
            '{{.State.ConmonPid}} {{.State.Pid}} {{.GraphDriver.Data.UpperDir}}',
            id,
          ])
            .trim()
            .split(' ');
          watched.push(Number(conmon), Number(pid));
          p.rssKiB.push(status(Number(conmon), 'VmRSS'));
          p.anonKiB.push(status(Number(conmon), 'RssAnon'));
          p.initRssKiB.push(status(Number(pid), 'VmRSS'));
          // The container's writable layer plus its userdata dir (config.json, hosts, ...).
          const dirs = [
            upper ? join(upper, '..') : '',
            join(podman.argv[2] as string, `${podman.driver}-containers`, id),
          ].filter((d) => d && existsSync(d));
          p.diskKiB.push(dirs.reduce((s, d) => s + Number(run(['du', '-skx', d]).split('\t')[0]), 0));
        }
      }

      const notes = (): string => {
        const lines = [
          '| per idle container | containers | monitor RSS mean | monitor RSS max | monitor anon RSS mean | PID 1 RSS mean | disk added mean |',
          '|---|---:|---:|---:|---:|---:|---:|',
          `| \`berth run -d --backend container -- sleep 3600\` (monitor: berth-shim; PID 1: berth init) | ${b.n} | ${kib(mean(b.rssKiB))} | ${kib(max(b.rssKiB))} | ${kib(mean(b.anonKiB))} | ${kib(mean(b.initRssKiB))} | ${kib(mean(b.diskKiB))} |`,
        ];
        if (typeof p === 'string')
          lines.push(`| \`podman run -d ... sleep 3600\` | unavailable: ${p.replace(/\|/g, '\\|')} | | | | | |`);
        else
          lines.push(
            `| \`podman run -d --network none --runtime runc <image> sleep 3600\` (monitor: conmon; PID 1: sleep) | ${p.n} | ${kib(mean(p.rssKiB))} | ${kib(max(p.rssKiB))} | ${kib(mean(p.anonKiB))} | ${kib(mean(p.initRssKiB))} | ${kib(mean(p.diskKiB))} |`,
          );
        lines.push(
          '',
          'RSS: VmRSS from /proc/PID/status (anon: RssAnon, the part not shared with other copies of the binary). ' +
            "Disk: `du -sk` of berth's envs/<id> right after start; for podman its container layer dir plus userdata dir (" +
            (typeof podman === 'string' ? 'n/a' : `${podman.driver} driver`) +
            '). Afterwards every container was removed and checked gone (processes, cgroups, mounts, state).',
        );
        return lines.join('\n');
      };
      return {
        rows: [],
        baseline: '',
        notes,
        cleanup: () => {
          const left = teardown();
          if (left.length) throw new Error(`idle-containers left behind: ${left.join('; ')}`);
        },
      };
    } catch (e) {
      const left = teardown();
      if (left.length) console.error(`bench: idle-containers left behind: ${left.join('; ')}`);
      throw e;
    }
  },
};
