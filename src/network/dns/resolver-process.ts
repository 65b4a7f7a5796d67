/**
 * The lifetime of a bridge network's resolver (docs/adr/0047-network-dns.md): started when a
 * member is plugged in and none runs, stopped when the last member is released or the network
 * removed (and it quits by itself when no member is alive). Its pid and start time are kept in
 * <runtime>/networks/NAME.dns.json, so a reused pid is never signalled. Callers hold the
 * network lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Paths } from '../../core/paths.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { HostError } from '../../core/errors.js';
import { isProcessAlive, processStartTime } from '../../core/process-identity.js';

interface ResolverPid {
  pid: number;
  start?: number;
  gateway: string;
}

/** Where the resolver's entry script is: dist/dns-resolver.mjs when bundled, beside this file when compiled by tsc. */
function entry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [
    join(here, 'dns-resolver.mjs'),
    join(here, '..', 'dns-resolver.mjs'),
    join(here, 'resolver-main.js'),
  ])
    if (existsSync(c)) return c;
  throw new HostError('no-dns-resolver', `the network resolver script is missing near ${here}`, {
    fix: 'run "npm run build"',
  });
}

export function resolverPidFile(paths: Paths, network: string): string {
  return join(paths.runtime, 'networks', `${network}.dns.json`);
}

function readPid(paths: Paths, network: string): ResolverPid | undefined {
  try {
    return JSON.parse(readFileSync(resolverPidFile(paths, network), 'utf8')) as ResolverPid;
  } catch {
    return undefined;
  }
}

/** The pid of the network's resolver when one runs. */
export function runningResolver(paths: Paths, network: string): number | undefined {
  const p = readPid(paths, network);
  return p && isProcessAlive(p.pid, p.start) ? p.pid : undefined;
}

/** Start the network's resolver on GATEWAY:53 unless it runs; resolves once it answers. */
export async function ensureResolver(paths: Paths, network: string, gateway: string): Promise<void> {
  const old = readPid(paths, network);
  if (old && old.gateway === gateway && isProcessAlive(old.pid, old.start)) return;
  if (old) await stopResolver(paths, network);
  const child = spawn(process.execPath, [entry(), paths.data, paths.runtime, network, gateway], {
    detached: true,
    cwd: '/', // it outlives the caller: never hold the caller's directory (or its mount) busy
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const said = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('error', (e) => resolve(`error: ${e.message}`));
    child.once('exit', (code) => resolve(out.split('\n')[0] || `error: it exited with status ${code}`));
  });
  child.stdout!.destroy();
  child.unref();
  if (said !== 'ready') {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* it exited */
    }
    throw new HostError(
      'dns-resolver-failed',
      `the resolver of network ${network} could not start on ${gateway}:53: ${said.replace(/^error: /, '')}`,
      { fix: 'stop whatever listens on port 53 of that address, or remove and recreate the network' },
    );
  }
  mkdirSync(dirname(resolverPidFile(paths, network)), { recursive: true, mode: 0o700 });
  const start = processStartTime(child.pid!);
  writeJsonAtomic(resolverPidFile(paths, network), {
    pid: child.pid!,
    ...(start !== undefined ? { start } : {}),
    gateway,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stop the network's resolver if it runs (and forget it); safe when none runs. */
export async function stopResolver(paths: Paths, network: string): Promise<void> {
  const p = readPid(paths, network);
  if (p && isProcessAlive(p.pid, p.start)) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
    for (let i = 0; i < 100 && isProcessAlive(p.pid, p.start); i++) await sleep(20);
    if (isProcessAlive(p.pid, p.start)) process.kill(p.pid, 'SIGKILL');
  }
  rmSync(resolverPidFile(paths, network), { force: true });
}
