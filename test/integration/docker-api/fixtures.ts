/**
 * What the Docker API tests share: a network namespace of the test's own (bridges, NAT and every
 * published port stay in it), a loopback registry inside it holding a busybox-like image,
 * `berth serve` started in it as root or as the test user, and the Debian docker CLI and
 * testcontainers as its clients.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { singleImageLayout } from '../registry/fixtures.js';
import { makeRunner, packageDir, REPO, type Runner } from '../../helpers/berth-cli.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import type { TestNetns } from '../../helpers/netns.js';

export const DOCKER = '/usr/bin/docker';

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, input?: string, timeoutMs = 120_000): Promise<Out> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/** Runs ARGV in the namespace as root or as the test user, with ENV only (plus PATH and HOME). */
export function inNs(ns: TestNetns, mode: Runner['mode'], argv: string[], env: Record<string, string>): string[] {
  const vars = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  // setpriv execs (runuser forks and kills its child 2 s after a SIGTERM of its own).
  const u = mode === 'rootless' ? ensureTestUser() : undefined;
  const user = u ? ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups'] : [];
  return ['ip', 'netns', 'exec', ns.name, ...user, 'env', '-i', ...vars, ...argv];
}

export function run(argv: string[], input?: string, timeoutMs?: number): Promise<Out> {
  return collect(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }), input, timeoutMs);
}

/** A busybox root filesystem as one layer, from the host's busybox-static. */
function busyboxLayer(dir: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n');
  for (const a of applets) if (a && a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc', 'os-release'), 'NAME="berth docker-api test"\n');
}

export interface NsRegistry {
  host: string;
  image: string;
  stop(): void;
}

/** docker-registry on 127.0.0.1 inside NS, with `test/bb:1` pushed by skopeo from inside NS. */
export async function startNsRegistry(ns: TestNetns, work: string): Promise<NsRegistry> {
  const layer = join(work, 'layer');
  busyboxLayer(layer);
  const layout = join(work, 'layout');
  await singleImageLayout(layout, work, [layer], 'bb');
  const port = 15000 + Math.floor(Math.random() * 1000);
  const cfg = join(work, 'registry.yml');
  writeFileSync(
    cfg,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = spawn('ip', ['netns', 'exec', ns.name, 'docker-registry', 'serve', cfg], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (ns.sh(['busybox', 'wget', '-q', '-O', '/dev/null', `http://${host}/v2/`]).code === 0) break;
    if (i > 300) throw new Error('docker-registry did not come up in the test namespace');
    await new Promise((r) => setTimeout(r, 50));
  }
  const image = `${host}/test/bb:1`;
  const push = ns.sh([
    'skopeo',
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${layout}:bb`,
    `docker://${image}`,
  ]);
  if (push.code !== 0) throw new Error(`skopeo push: ${push.stderr}`);
  return { host, image, stop: () => proc.kill('SIGTERM') };
}

/** A command on a terminal of its own: type into it, wait for what it prints, its exit. */
export interface Session {
  type(text: string): void;
  /** Resolves once the output so far contains TEXT (rejects if the command ends first). */
  seen(text: string): Promise<void>;
  /** Resolves with the command's exit code and all it printed (ends its input first unless told). */
  done(endInput?: boolean): Promise<Out>;
}

function session(argv: string[]): Session {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Out>((resolve) =>
    child.once('close', (code) => {
      resolve({ code: code ?? -1, stdout: output, stderr });
      for (const w of waiters.splice(0)) w();
    }),
  );
  return {
    type: (text) => void child.stdin.write(text),
    seen: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (output.includes(text)) resolve();
          else if (child.exitCode !== null) reject(new Error(`ended before "${text}": ${output} ${stderr}`));
          else waiters.push(check);
        };
        check();
      }),
    done: (endInput = true) => {
      if (endInput) child.stdin.end();
      return exited;
    },
  };
}

export interface Served {
  runner: Runner;
  socket: string;
  /** DOCKER_HOST=unix://socket */
  dockerHost: string;
  /** The docker CLI as the server's user. */
  docker(args: string[], input?: string): Promise<Out>;
  /** testcontainers (tc-client.js) in NS as the server's user; its JSON line. BACKEND: a berth.backend label. */
  testcontainers(image: string, backend?: string): Promise<Out>;
  /** The server's process (node itself: ip netns exec, setpriv and env exec). */
  pid: number;
  /**
   * The docker CLI as the server's user under `script` (a terminal), for -it sessions; ARGS: no
   * shell syntax. SIZE: the terminal's rows and columns (the CLI then sends resize requests);
   * without it the terminal has none (0x0) and the CLI sends none.
   */
  terminal(args: string[], size?: { rows: number; cols: number }): Session;
  /** Stop the server (SIGTERM) and wait for it to exit; its exit code and stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
  /** Stop the server and start it again on the same socket and store (a new pid). */
  restart(): Promise<void>;
}

/**
 * `berth serve` in NS as MODE: root on --socket in a temp dir, the test user on its default
 * socket under an XDG_RUNTIME_DIR of its own.
 */
export async function serveIn(ns: TestNetns, mode: Runner['mode'], backend: string): Promise<Served> {
  const runner = makeRunner(mode);
  const cli = join(packageDir(), 'dist', 'berth.cjs');
  const env: Record<string, string> = {
    BERTH_ROOT: runner.root,
    HOME: mode === 'root' ? '/root' : ensureTestUser().home,
  };
  let socket: string;
  const args = ['serve', '--backend', backend];
  const temps: string[] = [];
  process.on('exit', () => {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });
  if (mode === 'root') {
    const dir = mkdtempSync(join(tmpdir(), 'berth-serve-'));
    temps.push(dir);
    socket = join(dir, 'docker.sock');
    args.push('--socket', socket);
  } else {
    const u = ensureTestUser();
    const xdg = mkdtempSync(join(tmpdir(), 'berth-xdg-'));
    temps.push(xdg);
    spawnSync('chown', [`${u.uid}:${u.gid}`, xdg]);
    chmodSync(xdg, 0o700);
    env.XDG_RUNTIME_DIR = xdg;
    socket = join(xdg, 'berth', 'docker.sock');
  }
  const argv = inNs(ns, mode, [process.execPath, cli, ...args], env);
  let stderr = '';
  const start = async () => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; !existsSync(socket); i++) {
      if (child.exitCode !== null || i > 400) throw new Error(`berth serve did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return child;
  };
  let server = await start();
  const stop = () =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      if (server.exitCode !== null) return resolve({ code: server.exitCode, stderr });
      server.once('exit', (code) => resolve({ code, stderr }));
      server.kill('SIGTERM');
    });
  const dockerHost = `unix://${socket}`;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-tc-'));
  chmodSync(tmp, 0o777);
  temps.push(tmp);
  const asUser = (argv2: string[], extra: Record<string, string> = {}) =>
    inNs(ns, mode, argv2, { HOME: env.HOME!, DOCKER_HOST: dockerHost, ...extra });
  return {
    runner,
    socket,
    dockerHost,
    docker: (a, input) => run(asUser([DOCKER, ...a]), input),
    get pid() {
      return server.pid!;
    },
    // script -e: its exit code is the command's; -q: no banner; the typescript goes nowhere.
    terminal: (a, size) =>
      session(
        asUser([
          'script',
          '-qec',
          `${size ? `stty rows ${size.rows} cols ${size.cols}; ` : ''}${[DOCKER, ...a].join(' ')}`,
          '/dev/null',
        ]),
      ),
    testcontainers: (image, backend) =>
      run(
        asUser(
          [
            process.execPath,
            join(REPO, 'build', 'test', 'integration', 'docker-api', 'tc-client.js'),
            image,
            ...(backend ? [backend] : []),
          ],
          {
            TESTCONTAINERS_RYUK_DISABLED: 'true',
            // Its lock file lives in TMPDIR: one per user.
            TMPDIR: tmp,
          },
        ),
        undefined,
        backend ? 400_000 : 180_000,
      ),
    stop,
    restart: async () => {
      const { code } = await stop();
      if (code !== 0) throw new Error(`berth serve exited with ${code}: ${stderr}`);
      server = await start();
    },
  };
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
