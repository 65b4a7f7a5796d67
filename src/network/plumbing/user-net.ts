/**
 * `--network user`: an interface with an address, outbound traffic and DNS without root,
 * through pasta (passt package) or slirp4netns, whichever the probe finds (pasta first: it is
 * faster and what Podman 5 uses). The helper attaches to the environment's namespaces once
 * they exist (the shim's --net-sync-fd) and lives until the environment is stopped or removed.
 */
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { findExecutable } from '../../host/probes/exec.js';
import { HostError } from '../../core/errors.js';
import { pastaArgv, slirp4netnsArgv, slirpHostFwd } from '../net-cmdline.js';
import type { PortMapping } from '../../core/port-format.js';
import { mustRun, runTool } from '../../host/net/tool.js';
import { isProcessAlive } from '../../core/process-identity.js';

export type UserNetTool = 'pasta' | 'slirp4netns';

export interface UserNetProbe {
  tool?: UserNetTool;
  reason: string;
}

/** Which helper works here; BERTH_USER_NET=pasta|slirp4netns forces one (benchmarks compare them). */
export function probeUserNet(env = process.env): UserNetProbe {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return {
      reason:
        '/dev/net/tun is not readable and writable by you (chmod 0666 /dev/net/tun, as udev does on most distributions)',
    };
  }
  const forced = env.BERTH_USER_NET;
  const order: UserNetTool[] = forced === 'pasta' || forced === 'slirp4netns' ? [forced] : ['pasta', 'slirp4netns'];
  for (const t of order) if (findExecutable(t)) return { tool: t, reason: '' };
  return { reason: `neither pasta nor slirp4netns is installed (apt-get install passt, or slirp4netns)` };
}

export interface UserNetHandle {
  tool: UserNetTool;
  pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startPasta(pid: number, files: UserNetFiles, ports: PortMapping[]): Promise<UserNetHandle> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    writeFileSync(files.netnsFile, '');
    await mustRun('binding the network namespace for pasta', [
      'mount',
      '--bind',
      `/proc/${pid}/ns/net`,
      files.netnsFile,
    ]);
  }
  try {
    await mustRun(
      'pasta',
      pastaArgv(pid, files.pidFile, ports, asRoot ? files.netnsFile : undefined),
      undefined,
      'a published port may be taken; see "berth doctor"',
    );
  } catch (e) {
    await unbindNetns(files.netnsFile);
    throw e;
  }
  const helper = Number(readFileSync(files.pidFile, 'utf8').trim());
  return { tool: 'pasta', pid: helper };
}

/** Undo the root-only netns bind mount (after pasta, which holds it, is gone). */
export async function unbindNetns(netnsFile: string): Promise<void> {
  if (!existsSync(netnsFile)) return;
  await runTool(['umount', '-l', netnsFile]);
  rmSync(netnsFile, { force: true });
}

function slirpApi(socket: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(request);
  });
}

async function startSlirp(
  pid: number,
  apiSocket: string,
  ports: PortMapping[],
  rootless: boolean,
): Promise<UserNetHandle> {
  const [cmd, ...args] = slirp4netnsArgv(pid, apiSocket, rootless);
  rmSync(apiSocket, { force: true });
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ready = await new Promise<boolean>((resolve) => {
    child.stdio[3]!.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  if (!ready || child.pid === undefined)
    throw new HostError('slirp4netns', `slirp4netns failed: ${stderr.trim().split('\n').pop() ?? 'no output'}`);
  child.stderr!.destroy();
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  child.unref();
  for (const p of ports) {
    const reply = await slirpApi(apiSocket, slirpHostFwd(p));
    if (!reply.includes('"return"')) {
      process.kill(child.pid, 'SIGKILL');
      throw new HostError('port-publish', `slirp4netns cannot publish ${p.hostPort}/${p.protocol}: ${reply.trim()}`, {
        fix: 'choose another host port',
      });
    }
  }
  return { tool: 'slirp4netns', pid: child.pid };
}

export interface UserNetFiles {
  pidFile: string;
  apiSocket: string;
  netnsFile: string;
}

export async function startUserNet(
  tool: UserNetTool,
  pid: number,
  files: UserNetFiles,
  ports: PortMapping[],
  rootless: boolean,
): Promise<UserNetHandle> {
  return tool === 'pasta' ? startPasta(pid, files, ports) : startSlirp(pid, files.apiSocket, ports, rootless);
}

/** Stop the helper (it may already be gone with its namespace; the start time guards pid reuse). */
export async function stopUserNet(helperPid: number, startTime: number | undefined): Promise<void> {
  const alive = () => isProcessAlive(helperPid, startTime);
  if (!alive()) return;
  try {
    process.kill(helperPid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await sleep(10);
  if (alive()) {
    try {
      process.kill(helperPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
