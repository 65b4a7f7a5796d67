/**
 * Run the real berth CLI as root or as the unprivileged test user, each with its own BERTH_ROOT.
 * The bundled CLI (dist/) and the native helpers are copied to a world-readable directory so the
 * test user can run them wherever the repository was cloned.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { ensureTestUser, TEST_USER } from './test-user.js';

export type Mode = 'root' | 'rootless';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');

let pkgDir: string | undefined;
/** A world-readable copy of dist/ and native/bin/ (built by `npm run build`). */
export function packageDir(): string {
  if (pkgDir) return pkgDir;
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-pkg-'));
  chmodSync(dir, 0o755);
  cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
  mkdirSync(join(dir, 'native'), { mode: 0o755 });
  cpSync(join(REPO, 'native', 'bin'), join(dir, 'native', 'bin'), { recursive: true });
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (pkgDir = dir);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export interface Runner {
  mode: Mode;
  /** BERTH_ROOT of this runner. */
  root: string;
  argv(args: string[], env?: Record<string, string>): { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
  run(
    args: string[],
    opts?: { input?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string },
  ): Promise<Result>;
  spawn(args: string[], env?: Record<string, string>, cwd?: string): ChildProcess;
  /** Run a plain host command as this runner's user. */
  hostRun(cmd: string, args: string[]): Promise<Result>;
  /** Start a plain host command as this runner's user (BERTH_ROOT set), stdio piped. */
  hostSpawn(cmd: string, args: string[]): ChildProcess;
  /** Remove every environment through berth, then the store. */
  cleanup(): void;
  /** cleanup() without holding this process's event loop (suites whose other tests run on meanwhile). */
  cleanupAsync(): Promise<void>;
}

/** A command line with its environment, as wrap() makes it. */
type Command = { cmd: string; args: string[]; env: NodeJS.ProcessEnv };

export interface Result {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** CHILD's exit and output, its stdin given INPUT (or closed); killed and rejected after timeoutMs. */
export function collect(child: ChildProcess, input: string | undefined, timeoutMs: number): Promise<Result> {
  return new Promise((res, rej) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`timed out after ${timeoutMs} ms; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    child.once('error', rej);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? -1, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/**
 * BERTH_TEST_TRACE=FILE appends a line per CLI run (seconds, exit code, mode, arguments, and the
 * test file) to FILE: where the suite's time goes, for trimming it (the test command has a budget).
 */
function traced(mode: Mode, args: string[], result: Promise<Result>): Promise<Result> {
  const file = process.env.BERTH_TEST_TRACE;
  if (!file) return result;
  const start = performance.now();
  const line = (code: number | string) =>
    `${((performance.now() - start) / 1000).toFixed(2)}\t${code}\t${mode}\t${args.join(' ').slice(0, 160)}\t${process.argv[1] ?? ''}\n`;
  return result.then(
    (r) => {
      appendFileSync(file, line(r.code));
      return r;
    },
    (e: unknown) => {
      appendFileSync(file, line('timeout'));
      throw e;
    },
  );
}

const MIRROR_VARS = ['BERTH_DEBIAN_MIRROR', 'BERTH_DEBIAN_KEYRING'];

export function makeRunner(mode: Mode): Runner {
  const pkg = packageDir();
  const cli = join(pkg, 'dist', 'berth.cjs');
  const root = mkdtempSync(join(tmpdir(), `berth-test-${mode}-`));
  let user: { uid: number; gid: number; home: string } | undefined;
  if (mode === 'rootless') {
    user = ensureTestUser();
    spawnSync('chown', [`${user.uid}:${user.gid}`, root]);
  }
  // root's uml kernels run as an unprivileged uid of their own (ADR 0046), which must be able to
  // search the store as it can /var/lib/berth; mkdtemp makes it 0700.
  else chmodSync(root, 0o711);
  const wrap = (cmd: string, args: string[], extra: Record<string, string> = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_ROOT: root, ...extra };
    delete env.BERTH_SHIM;
    if (mode === 'root') return { cmd, args, env };
    const envArgs = [
      `HOME=${user!.home}`,
      `BERTH_ROOT=${root}`,
      `PATH=${process.env.PATH}`,
      // The loopback Debian mirror scripts/test.mjs serves (test/helpers/test-mirror.ts).
      ...MIRROR_VARS.filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`),
      ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
    ];
    return { cmd: 'runuser', args: ['-u', TEST_USER, '--', 'env', '-i', ...envArgs, cmd, ...args], env: process.env };
  };
  const cleanupSteps = {
    list: wrap(process.execPath, [cli, 'ps', '-a', '-q']),
    remove: (ids: string[]) => wrap(process.execPath, [cli, 'rm', '-f', ...ids]),
    store: { cmd: 'rm', args: ['-rf', root], env: process.env },
  };
  return {
    mode,
    root,
    argv: (args, env) => wrap(process.execPath, [cli, ...args], env),
    run(args, opts = {}) {
      const w = wrap(process.execPath, [cli, ...args], opts.env);
      const child = spawn(w.cmd, w.args, {
        env: w.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
      return traced(mode, args, collect(child, opts.input, opts.timeoutMs ?? 60_000));
    },
    spawn(args, env, cwd) {
      const w = wrap(process.execPath, [cli, ...args], env);
      return spawn(w.cmd, w.args, { env: w.env, stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    },
    hostSpawn(cmd, args) {
      const w = wrap(cmd, args);
      return spawn(w.cmd, w.args, { env: w.env, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    hostRun(cmd, args) {
      const w = wrap(cmd, args);
      return collect(spawn(w.cmd, w.args, { env: w.env, stdio: ['pipe', 'pipe', 'pipe'] }), undefined, 60_000);
    },
    // Remove every environment through berth itself first (its cgroups, sub-uid owned files,
    // processes), then the directory.
    cleanup() {
      const run = (w: Command) => spawnSync(w.cmd, w.args, { env: w.env, encoding: 'utf8' }).stdout;
      const ids = run(cleanupSteps.list).split('\n').filter(Boolean);
      if (ids.length > 0) run(cleanupSteps.remove(ids));
      run(cleanupSteps.store);
    },
    async cleanupAsync() {
      const run = async (w: Command) =>
        (await collect(spawn(w.cmd, w.args, { env: w.env }), undefined, 300_000)).stdout;
      const ids = (await run(cleanupSteps.list)).split('\n').filter(Boolean);
      if (ids.length > 0) await run(cleanupSteps.remove(ids));
      await run(cleanupSteps.store);
    },
  };
}

/** Environments recorded in a runner's store. */
export function storedEnvs(root: string): string[] {
  const dir = join(root, 'envs');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Host mounts whose path mentions `needle` (must be none after cleanup). */
export function mountsMentioning(needle: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(needle));
}

/** Processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) out.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The ext4 base disks a runner's store holds (src/disks: <images>/disks/*.ext4). */
export function baseDisks(r: Pick<Runner, 'root'>): string[] {
  const dir = join(r.root, 'images', 'disks');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ext4'))
        .map((f) => join(dir, f))
    : [];
}
