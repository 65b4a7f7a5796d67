/**
 * Idle VMs: the memory berth's monitor keeps per running uml or microvm environment (issue 19.5,
 * ADR 0065): the native berth-vmmon (the default) against the Node monitor (BERTH_VM_MONITOR=node,
 * the fallback). Starts N `berth run -d --backend B busybox -- sleep 3600` per backend and
 * monitor (default 3, BENCH_IDLE_VMS; backends BENCH_IDLE_VM_BACKENDS, default uml,microvm),
 * reads each monitor's VmRSS, RssAnon and Private_Dirty (/proc/PID/smaps_rollup), and removes
 * everything afterwards, checking that no process is left. Not a timing suite: a table of its own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Suite } from '../harness.js';
import { berthArgv } from './common.js';
import { berthEnvs, berthRemoveAll } from './container-startup.js';

/** The goal of issue 19: at most this much resident per running VM environment. */
const GOAL_KIB = 4096;

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s*(\\d+) kB$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name}`);
  return Number(m[1]);
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

interface Row {
  backend: string;
  monitor: 'berth-vmmon' | 'node';
  n: number;
  rss: number[];
  anon: number[];
  dirty: number[];
  exe: string;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const kib = (x: number): string => `${Math.round(x)} KiB`;

export const idleVms: Suite = {
  name: 'idle-vms',
  description:
    "what an idle detached VM environment costs in berth's own monitor process: the native berth-vmmon against the Node fallback",
  async prepare({ repo }) {
    const n = Number(process.env.BENCH_IDLE_VMS ?? '3');
    if (!Number.isInteger(n) || n < 1) throw new Error(`invalid BENCH_IDLE_VMS ${process.env.BENCH_IDLE_VMS}`);
    const backends = (process.env.BENCH_IDLE_VM_BACKENDS ?? 'uml,microvm').split(',').filter(Boolean);
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    const tmp = mkdtempSync(join(tmpdir(), 'berth-bench-idle-vms-'));
    // Root's uml kernel runs as a uid of its own (ADR 0046): it must reach the store below.
    chmodSync(tmp, 0o711);
    const root = join(tmp, 'berth-root');
    mkdirSync(root);
    const watched: number[] = [];
    const teardown = (): string[] => {
      berthRemoveAll(berth, root);
      const left: string[] = [];
      if (berthEnvs(root).length) left.push(`${berthEnvs(root).length} berth environments`);
      const deadline = Date.now() + 5000;
      while (watched.some(alive) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
      const live = watched.filter(alive);
      if (live.length) left.push(`processes ${live.join(', ')}`);
      rmSync(tmp, { recursive: true, force: true });
      return left;
    };
    try {
      const rows: Row[] = [];
      for (const backend of backends) {
        for (const monitor of ['berth-vmmon', 'node'] as const) {
          const env = { ...process.env, BERTH_ROOT: root, BERTH_VM_MONITOR: monitor === 'node' ? 'node' : 'native' };
          const row: Row = { backend, monitor, n, rss: [], anon: [], dirty: [], exe: '' };
          for (let i = 0; i < n; i++) {
            const argv = [...berth, 'run', '-d', '-q', '--backend', backend, 'busybox', '--', 'sleep', '3600'];
            const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout: 600_000 });
            if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
            const id = r.stdout.trim();
            const { pid } = JSON.parse(readFileSync(join(root, 'envs', id, 'monitor.pid'), 'utf8')) as { pid: number };
            watched.push(pid);
            // Settle: a monitor's first moments (its start-up) are not what it keeps.
            spawnSync('sleep', ['1']);
            const status = readFileSync(`/proc/${pid}/status`, 'utf8');
            row.rss.push(field(status, 'VmRSS'));
            row.anon.push(field(status, 'RssAnon'));
            row.dirty.push(field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Private_Dirty'));
            row.exe = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
          }
          rows.push(row);
        }
        // Removed between backends: fewer VMs side by side on a small host.
        berthRemoveAll(berth, root);
      }
      const notes = (): string =>
        [
          '| per idle VM environment | VMs | monitor process | monitor RSS mean | max | anon RSS mean | Private_Dirty mean | goal 4 MiB |',
          '|---|---:|---|---:|---:|---:|---:|---|',
          ...rows.map(
            (r) =>
              `| \`berth run -d --backend ${r.backend} busybox -- sleep 3600\`${r.monitor === 'node' ? ' with BERTH_VM_MONITOR=node' : ''} | ${r.n} | ${r.exe.split('/').pop()} | ${kib(mean(r.rss))} | ${kib(Math.max(...r.rss))} | ${kib(mean(r.anon))} | ${kib(mean(r.dirty))} | ${Math.max(...r.rss) <= GOAL_KIB ? 'met' : 'missed'} |`,
          ),
          '',
          'VmRSS and RssAnon from /proc/PID/status, Private_Dirty from /proc/PID/smaps_rollup, one second after `run -d` returned; the VM process itself (uml kernel, QEMU) is not counted. Afterwards every environment was removed and its monitor checked gone.',
        ].join('\n');
      return {
        rows: [],
        baseline: '',
        notes,
        cleanup: () => {
          const left = teardown();
          if (left.length) throw new Error(`idle-vms left behind: ${left.join('; ')}`);
        },
      };
    } catch (e) {
      const left = teardown();
      if (left.length) console.error(`bench: idle-vms left behind: ${left.join('; ')}`);
      throw e;
    }
  },
};
