/**
 * docker-api: `docker run --rm busybox true` through `berth serve` (container backend), against
 * the same command through Podman's own compat service (`podman system service`, the baseline
 * when podman is installed) and against `berth run --rm` (a Node start per container). The
 * servers run for the whole group; their stores are temp dirs removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row, Suite } from '../harness.js';
import { berthArgv, findExecutable } from './common.js';
import { berthRemoveAll } from './container-startup.js';

const BERTH_SERVE = 'docker run --rm busybox true (berth serve)';
const PODMAN_SERVICE = 'docker run --rm busybox true (podman system service)';
const BERTH_RUN = 'berth run --rm --backend container busybox true';

async function waitForSocket(path: string, child: ChildProcess): Promise<void> {
  for (let i = 0; !existsSync(path); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`no socket at ${path}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const dockerApi: Suite = {
  name: 'docker-api',
  description: 'docker run --rm busybox true through berth serve vs Podman compat service vs berth run',
  async prepare({ repo }) {
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    const docker = findExecutable('docker');
    if (!docker) return { name: 'docker', unavailable: 'the docker CLI is not installed (apt-get install docker.io)' };
    const dir = mkdtempSync(join(tmpdir(), 'berth-bench-docker-api-'));
    const root = join(dir, 'berth');
    const socket = join(dir, 'berth.sock');
    const env = { ...process.env, BERTH_ROOT: root };
    const server = spawn(berth[0]!, [...berth.slice(1), 'serve', '--socket', socket, '--backend', 'container'], {
      env,
      stdio: 'ignore',
    });
    const children: ChildProcess[] = [server];
    const rows: Row[] = [];
    await waitForSocket(socket, server);
    rows.push({
      name: BERTH_SERVE,
      argv: [docker, 'run', '--rm', 'busybox', 'true'],
      env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
    });
    const podman = findExecutable('podman');
    let baseline = BERTH_SERVE;
    if (podman) {
      const psock = join(dir, 'podman.sock');
      const store = ['--root', join(dir, 'p-root'), '--runroot', join(dir, 'p-run'), '--tmpdir', join(dir, 'p-tmp')];
      const service = spawn(podman, [...store, 'system', 'service', '--time', '0', `unix://${psock}`], {
        stdio: 'ignore',
      });
      children.push(service);
      await waitForSocket(psock, service);
      rows.unshift({
        name: PODMAN_SERVICE,
        argv: [docker, 'run', '--rm', 'busybox', 'true'],
        env: { ...process.env, DOCKER_HOST: `unix://${psock}` },
      });
      baseline = PODMAN_SERVICE;
    } else rows.unshift({ name: PODMAN_SERVICE, unavailable: 'podman not installed (apt-get install podman)' });
    rows.push({ name: BERTH_RUN, argv: [...berth, 'run', '--rm', '--backend', 'container', 'busybox', 'true'], env });
    return {
      rows,
      baseline,
      cleanup: async () => {
        for (const c of children) {
          if (c.exitCode !== null) continue;
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          await exited;
        }
        berthRemoveAll(berth, root);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
