/**
 * docker-api: `docker run --rm busybox true` through `berth serve` (container backend), against
 * the same command through Podman's own compat service (`podman system service` on a unix socket
 * in a temp dir: the baseline) and against `berth run --rm` (a Node start per container). Every
 * row runs the same busybox rootfs: berth's builtin image, imported into a throwaway Podman store
 * as docker.io/library/busybox:latest. The servers run for the whole group; their stores are
 * temp dirs removed afterwards. Goal (issue 15): berth serve at most 0.25x Podman's service.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { berthArgv, findExecutable } from './common.js';
import { berthRemoveAll, type Podman, setupPodman } from './container-startup.js';

const BERTH_SERVE = 'docker run --rm busybox true (berth serve, container backend)';
const PODMAN_SERVICE = 'docker run --rm busybox true (podman system service)';
const BERTH_RUN = 'berth run --rm --backend container busybox true';

async function waitForSocket(path: string, child: ChildProcess): Promise<void> {
  for (let i = 0; !existsSync(path); i++) {
    if (child.exitCode !== null || i > 1200) throw new Error(`no socket at ${path}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Podman's containers.conf for the service: runc, and the rlimits `podman run` was given on the
 * command line in container-startup (`--ulimit`), as default_ulimits (the API has no flag here).
 */
function containersConf(podman: Podman): string {
  const ulimits: string[] = [];
  for (let i = 0; i < podman.runFlags.length; i++)
    if (podman.runFlags[i] === '--ulimit') ulimits.push(JSON.stringify(podman.runFlags[++i]));
  return [
    '[containers]',
    ...(ulimits.length ? [`default_ulimits = [${ulimits.join(', ')}]`] : []),
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "none"',
    '',
  ].join('\n');
}

export const dockerApi: Suite = {
  name: 'docker-api',
  description:
    'docker run --rm busybox true through berth serve vs Podman compat service (podman system service) vs berth run, the same busybox rootfs',
  async prepare({ repo }) {
    const berth = berthArgv(repo);
    if (typeof berth === 'string') return { name: 'berth', unavailable: berth };
    const docker = findExecutable('docker');
    if (!docker) return { name: 'docker', unavailable: 'the docker CLI is not installed (apt-get install docker.io)' };
    const dir = mkdtempSync(join(tmpdir(), 'berth-bench-docker-api-'));
    const root = join(dir, 'berth');
    mkdirSync(root);
    const env = { ...process.env, BERTH_ROOT: root };
    const children: ChildProcess[] = [];
    let podman: Podman | string = 'not set up';
    const notes: string[] = ['- command: `BENCH_SUITES=docker-api npm run bench` (as root: Podman runs rootful here)'];
    const cleanup = async () => {
      for (const c of children) {
        if (c.exitCode !== null) continue;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
      berthRemoveAll(berth, root);
      if (typeof podman !== 'string') podman.remove();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      // One untimed run materialises the builtin busybox (its rootfs is Podman's image too).
      const run = {
        name: BERTH_RUN,
        argv: [...berth, 'run', '--rm', '--backend', 'container', 'busybox', 'true'],
        env,
      };
      runOnce(run, 300_000);
      const rootfs = join(root, 'images', 'builtin', 'busybox', 'current', 'rootfs');

      const socket = join(dir, 'berth.sock');
      const server = spawn(berth[0]!, [...berth.slice(1), 'serve', '--socket', socket, '--backend', 'container'], {
        env,
        stdio: 'ignore',
      });
      children.push(server);
      await waitForSocket(socket, server);
      const serveRow = {
        name: BERTH_SERVE,
        argv: [docker, 'run', '--rm', 'busybox', 'true'],
        env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
      };
      runOnce(serveRow, 120_000);
      const rows: Row[] = [serveRow];

      podman = setupPodman(dir, rootfs);
      if (typeof podman === 'string') rows.unshift({ name: PODMAN_SERVICE, unavailable: podman });
      else {
        const tag = spawnSync(podman.argv[0]!, [
          ...podman.argv.slice(1),
          'tag',
          'berth-bench-busybox',
          'docker.io/library/busybox:latest',
        ]);
        if (tag.status !== 0) throw new BenchFailure(PODMAN_SERVICE, `podman tag: ${tag.stderr}`);
        const conf = join(dir, 'containers.conf');
        writeFileSync(conf, containersConf(podman));
        const psock = join(dir, 'podman.sock');
        const service = spawn(
          podman.argv[0]!,
          [...podman.argv.slice(1), 'system', 'service', '--time', '0', `unix://${psock}`],
          {
            env: { ...process.env, CONTAINERS_CONF: conf },
            stdio: 'ignore',
          },
        );
        children.push(service);
        await waitForSocket(psock, service);
        const podmanRow = {
          name: PODMAN_SERVICE,
          argv: [docker, 'run', '--rm', 'busybox', 'true'],
          env: { ...process.env, DOCKER_HOST: `unix://${psock}` },
        };
        runOnce(podmanRow, 120_000);
        rows.unshift(podmanRow);
        notes.push(
          `- podman system service: storage driver ${podman.driver}, throwaway store in a temp dir, CONTAINERS_CONF with runtime runc, cgroupfs, no events${podman.runFlags.length ? `, default_ulimits ${podman.runFlags.filter((f) => f !== '--ulimit').join(' ')} (this host withholds CAP_SYS_RESOURCE)` : ''}; the image is berth's busybox rootfs tagged docker.io/library/busybox:latest`,
        );
      }
      rows.push(run);
      return {
        rows,
        baseline: typeof podman === 'string' ? BERTH_SERVE : PODMAN_SERVICE,
        ...(typeof podman === 'string' ? {} : { targets: { [BERTH_SERVE]: 0.25 } }),
        cleanup,
        notes: () => notes.join('\n'),
      };
    } catch (e) {
      await cleanup().catch((c) => console.error(`bench: ${c instanceof Error ? c.message : String(c)}`));
      throw e;
    }
  },
};
