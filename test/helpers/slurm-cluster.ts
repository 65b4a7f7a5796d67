/**
 * A real Slurm cluster on loopback for the matrix tests, as root, without systemd: munged (reused
 * when one answers), slurmctld and NODES slurmd "nodes" (n1..nN, one port each) on this host, a
 * fresh state directory, ready when sinfo shows every node idle. Stopped by pid file (the process
 * name checked), never by name; munged only if this helper started it. The config template is
 * test/fixtures/slurm/slurm.conf.in. Debian: slurmctld slurmd slurm-client munge.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './berth-cli.js';

export const SLURM_PACKAGES = 'slurmctld slurmd slurm-client munge';

export interface SlurmCluster {
  /** SLURM_CONF and friends for every Slurm command (also for the unprivileged user). */
  env: Record<string, string>;
  base: string;
  nodes: string[];
  /** Daemon pids by node name (n1..), for tests that kill one. */
  slurmdPid(node: string): number | undefined;
  /** Start a node's slurmd again (it cleans up what its dead predecessor left) and wait until all nodes are idle. */
  restartSlurmd(node: string): void;
  logs(): string;
  stop(): void;
}

const CTLD_PORT = 6817;
const NODE_PORT = 6820;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env });
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function slurmInstalled(): boolean {
  return ['slurmctld', 'slurmd', 'sbatch', 'munged'].every(
    (c) => run('sh', ['-c', `command -v ${c} || test -x /usr/sbin/${c}`]).status === 0,
  );
}

function mungeWorks(): boolean {
  return run('sh', ['-c', 'munge -n | unmunge']).status === 0;
}

/** munged as the munge user, with the key and directories as it wants them; true if we started it. */
function ensureMunge(): boolean {
  if (mungeWorks()) return false;
  if (!existsSync('/etc/munge/munge.key')) run('mungekey', ['--create', '--keyfile=/etc/munge/munge.key']);
  run('chown', ['munge:munge', '/etc/munge', '/etc/munge/munge.key']);
  chmodSync('/etc/munge', 0o700);
  chmodSync('/etc/munge/munge.key', 0o400);
  run('install', ['-d', '-o', 'munge', '-g', 'munge', '-m', '0755', '/run/munge']);
  run('install', ['-d', '-o', 'munge', '-g', 'munge', '-m', '0700', '/var/lib/munge', '/var/log/munge']);
  const r = run('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
  for (let i = 0; i < 100 && !mungeWorks(); i++) sleepSync(100);
  if (!mungeWorks()) throw new Error(`munged did not start: ${r.stderr}`);
  return true;
}

function pidOf(file: string, comm: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm ? pid : undefined;
  } catch {
    return undefined;
  }
}

function hardware(): { mem: number } {
  const line = run('slurmd', ['-C']).stdout.split('\n')[0] ?? '';
  const mem = Number(/RealMemory=(\d+)/.exec(line)?.[1] ?? '1024');
  return { mem: Math.floor((mem * 9) / 10) };
}

export function startSlurmCluster(opts: { nodes?: number; cpusPerNode?: number } = {}): SlurmCluster {
  const count = opts.nodes ?? 2;
  const cpus = opts.cpusPerNode ?? 4;
  const startedMunge = ensureMunge();
  const base = mkdtempSync(join(tmpdir(), 'berth-slurm-'));
  chmodSync(base, 0o755);
  for (const d of ['ctld', 'run', 'log', 'spool']) mkdirSync(join(base, d));
  const nodes = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const { mem } = hardware();
  const nodeLines = nodes
    .map(
      (n, i) =>
        `NodeName=${n} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${NODE_PORT + i + 1} CPUs=${cpus} RealMemory=${Math.floor(mem / count)} State=UNKNOWN`,
    )
    .join('\n');
  const conf = join(base, 'slurm.conf');
  writeFileSync(
    conf,
    readFileSync(join(REPO, 'test', 'fixtures', 'slurm', 'slurm.conf.in'), 'utf8')
      .replaceAll('@BASE@', base)
      .replaceAll('@NODES@', String(count))
      .replaceAll('@CTLD_PORT@', String(CTLD_PORT))
      .replace('@NODE_LINES@', nodeLines),
    { mode: 0o644 },
  );
  const env = { SLURM_CONF: conf };
  const penv = { ...process.env, ...env };
  const logs = () =>
    ['slurmctld.log', ...nodes.map((n) => `slurmd-${n}.log`)]
      .map((f) => join(base, 'log', f))
      .filter(existsSync)
      .map((f) => `== ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
  const slurmdPid = (n: string) => pidOf(join(base, 'run', `slurmd-${n}.pid`), 'slurmd');
  const stop = () => {
    if (run('scontrol', ['ping'], penv).status === 0) {
      const jobs = run('squeue', ['-h', '-o', '%i'], penv).stdout.split('\n').filter(Boolean);
      if (jobs.length > 0) run('scancel', ['--full', ...jobs], penv);
      for (let i = 0; i < 100 && run('squeue', ['-h'], penv).stdout.trim() !== ''; i++) sleepSync(100);
    }
    const pids: number[] = [];
    for (const [file, comm] of [
      ...nodes.map((n) => [join(base, 'run', `slurmd-${n}.pid`), 'slurmd']),
      [join(base, 'run', 'slurmctld.pid'), 'slurmctld'],
      ...(startedMunge ? [['/run/munge/munged.pid', 'munged']] : []),
    ] as [string, string][]) {
      const pid = pidOf(file, comm);
      if (pid) {
        process.kill(pid, 'SIGTERM');
        pids.push(pid);
      }
    }
    for (const pid of pids) {
      for (let i = 0; i < 150 && existsSync(`/proc/${pid}`); i++) sleepSync(100);
      if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
    }
    rmSync(base, { recursive: true, force: true });
  };
  const waitIdle = () => {
    for (let i = 0; ; i++) {
      const states = new Set(run('sinfo', ['-h', '-N', '-o', '%t'], penv).stdout.split('\n').filter(Boolean));
      if (states.size === 1 && states.has('idle')) return;
      if (i > 600) {
        const l = logs();
        stop();
        throw new Error(`Slurm not ready after 60 s (nodes: ${[...states].join(',')})\n${l}`);
      }
      sleepSync(100);
    }
  };
  const restartSlurmd = (n: string) => {
    const d = run('slurmd', ['-N', n], penv);
    if (d.status !== 0) throw new Error(`slurmd -N ${n} failed: ${d.stderr}`);
    waitIdle();
  };
  const ctld = run('slurmctld', ['-c'], penv);
  if (ctld.status !== 0) {
    stop();
    throw new Error(`slurmctld failed: ${ctld.stderr}`);
  }
  for (const n of nodes) {
    mkdirSync(join(base, 'spool', n));
    const d = run('slurmd', ['-N', n], penv);
    if (d.status !== 0) {
      const l = logs();
      stop();
      throw new Error(`slurmd -N ${n} failed: ${d.stderr}\n${l}`);
    }
  }
  waitIdle();
  return { env, base, nodes, slurmdPid, restartSlurmd, logs, stop };
}
