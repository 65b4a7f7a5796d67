/**
 * Issue 13's crowd goal, measured once per fast-start run (not a timed row): N clones of one
 * template started at once (`berth run -d --template T`), each printing its hostname and the first
 * 16 bytes of /dev/urandom, then ending. Reported: the wall time until all N are up and until all
 * have ended, whether all N exited 0, how many distinct hostnames and random prefixes there were,
 * and the host's memory per clone while all ran (MemAvailable before minus MemAvailable with all
 * N up, divided by N: QEMU, its monitor and the guest's touched RAM together).
 */
import { readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';

const memAvailableKiB = () => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);

function berth(argv: string[], env: NodeJS.ProcessEnv, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(argv[0]!, [...argv.slice(1), ...args], { env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function start(argv: string[], env: NodeJS.ProcessEnv, name: string): Promise<number | null> {
  const script = 'hostname; head -c 16 /dev/urandom | od -An -tx1 | tr -d " \\n"; echo; sleep 20';
  const child = spawn(
    argv[0]!,
    [...argv.slice(1), 'run', '-d', '--name', name, '--template', 'bench', '--', 'sh', '-c', script],
    { env, stdio: 'ignore' },
  );
  return new Promise((res) => child.once('close', (code) => res(code)));
}

/** One line for docs/benchmarks.md. */
export async function clonesAtOnce(argv: string[], env: NodeJS.ProcessEnv, n = 20): Promise<string> {
  const names = Array.from({ length: n }, (_, i) => `crowd${i}`);
  const before = memAvailableKiB();
  const t0 = Date.now();
  const started = await Promise.all(names.map((name) => start(argv, env, name)));
  const upSeconds = (Date.now() - t0) / 1000;
  const perCloneMiB = (before - memAvailableKiB()) / 1024 / n;
  const exits = names.map((name) => Number(berth(argv, env, ['wait', name]).out.trim()));
  const allSeconds = (Date.now() - t0) / 1000;
  const lines = names.map((name) => berth(argv, env, ['logs', name]).out.trim().split('\n'));
  berth(argv, env, ['rm', '-f', ...names]);
  const hostnames = new Set(lines.map((l) => l[0]));
  const randoms = new Set(lines.map((l) => l[1]));
  const ok = exits.filter((c) => c === 0).length;
  const startedOk = started.filter((c) => c === 0).length;
  return (
    `${n} clones of \`bench\` started at once (\`berth run -d --template bench\`): ${startedOk}/${n} started, ` +
    `all up in ${upSeconds.toFixed(1)} s; ${ok}/${n} exited 0 (all ended ${allSeconds.toFixed(1)} s after the start, ` +
    `each slept 20 s); ${hostnames.size} distinct hostnames, ${randoms.size} distinct first 16 bytes of /dev/urandom; ` +
    `host memory ${perCloneMiB.toFixed(0)} MiB per clone while all ran (MemAvailable drop / ${n}). ` +
    'Addresses: this template has no network, so these clones have none to differ in; clones on a bridge ' +
    'network lease their own address and MAC (ADR 0064, test/integration/network/vm-network.test.ts).'
  );
}
