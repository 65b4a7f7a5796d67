/**
 * A network namespace made by the test (the rule: bridges, veths and NAT only there). It has lo
 * up and a veth pair with 10.200.0.2/24 and a default route to nowhere, so tools that want a
 * "routable interface" (pasta copies the host's) find one while nothing can leave it.
 */
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Runner, Result } from './berth-cli.js';

export interface TestNetns {
  name: string;
  /** Run a host command inside the namespace (as root). */
  sh(cmd: string[]): { code: number; stdout: string; stderr: string };
  /** Run berth through `runner` inside the namespace. */
  berth(runner: Runner, args: string[], timeoutMs?: number, env?: Record<string, string>): Promise<Result>;
  spawnIn(cmd: string[]): ChildProcess;
  remove(): void;
}

function must(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

export function makeNetns(): TestNetns {
  const name = `berth-test-${randomBytes(3).toString('hex')}`;
  must(['ip', 'netns', 'add', name]);
  must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  must(['ip', '-n', name, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1']);
  must(['ip', '-n', name, 'addr', 'add', '10.200.0.2/24', 'dev', 'up0']);
  must(['ip', '-n', name, 'link', 'set', 'up0', 'up']);
  must(['ip', '-n', name, 'link', 'set', 'up1', 'up']);
  must(['ip', '-n', name, 'route', 'add', 'default', 'via', '10.200.0.1', 'dev', 'up0']);
  const prefix = ['ip', 'netns', 'exec', name];
  return {
    name,
    sh(cmd) {
      const r = spawnSync(prefix[0]!, [...prefix.slice(1), ...cmd], { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    berth(runner, args, timeoutMs = 60_000, env = {}) {
      const w = runner.argv(args);
      if (runner.mode !== 'root' && Object.keys(env).length > 0)
        throw new Error('extra environment only for the root runner');
      w.env = { ...w.env, ...env };
      return new Promise((resolve, reject) => {
        const child = spawn(prefix[0]!, [...prefix.slice(1), w.cmd, ...w.args], {
          env: w.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`berth ${args.join(' ')} timed out; stderr=${stderr}`));
        }, timeoutMs);
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, signal, stdout, stderr });
        });
      });
    },
    spawnIn(cmd) {
      return spawn(prefix[0]!, [...prefix.slice(1), ...cmd], { stdio: 'ignore' });
    },
    remove() {
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
}

/** Interfaces in the namespace, by name. */
export function links(ns: TestNetns): string[] {
  return (JSON.parse(ns.sh(['ip', '-j', 'link', 'show']).stdout || '[]') as { ifname: string }[])
    .map((l) => l.ifname)
    .sort();
}

/** nftables tables in the namespace. */
export function nftTables(ns: TestNetns): string[] {
  return ns.sh(['nft', 'list', 'tables']).stdout.split('\n').filter(Boolean).sort();
}
