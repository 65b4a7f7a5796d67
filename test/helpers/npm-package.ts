/**
 * berth as its users get it: `npm pack` of a copy of this checkout (so the pack's own build never
 * touches the dist/ and build/ the other tests run from), then `npm install TARBALL` into an empty
 * project, as root or as the unprivileged test user, offline: the tarball's dependencies come from
 * the npm cache scripts/test.mjs filled before the run entered its network namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO, type Mode, type Result } from './berth-cli.js';
import { ensureTestUser, TEST_USER } from './test-user.js';

/** Never copied: what a clean clone does not have, and what the pack must build itself. */
const NOT_COPIED = new Set([
  '.git',
  'node_modules',
  'build',
  'dist',
  'test',
  'bench',
  '.berth-test',
  'native/bin',
  'native/build',
  'native/prebuilt',
]);

export interface Packed {
  tarball: string;
  /** Paths inside the tarball (without the leading `package/`). */
  files: string[];
}

/** `npm pack` in a fresh copy of the checkout (its prepack/prepare scripts build everything). */
export async function packBerth(work: string): Promise<Packed> {
  const src = join(work, 'checkout');
  cpSync(REPO, src, { recursive: true, filter: (p) => !NOT_COPIED.has(relative(REPO, p)) && !p.endsWith('.tgz') });
  symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
  const out = join(work, 'pack');
  mkdirSync(out, { mode: 0o755 });
  const r = await runAs('root', 'npm', ['pack', '--pack-destination', out], { cwd: src, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`npm pack failed (${r.code}): ${r.stderr}`);
  const tgz = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack made ${tgz.join(', ') || 'no tarball'}`);
  const tarball = join(out, tgz[0]!);
  chmodSync(tarball, 0o644);
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`tar -tzf ${tarball}: ${list.stderr}`);
  return {
    tarball,
    files: list.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  };
}

/**
 * The npm cache with berth's dependencies that scripts/test.mjs fills, as root, before the run
 * enters its network namespace (BERTH_TEST_NPM_CACHE); undefined when the run did not.
 */
export function npmCacheOfTheRun(): string | undefined {
  const dir = process.env.BERTH_TEST_NPM_CACHE;
  return dir && existsSync(dir) ? dir : undefined;
}

/** An empty project owned by MODE's user, with berth installed from the tarball. */
export async function installProject(work: string, mode: Mode, tarball: string): Promise<string> {
  const dir = mkdtempSync(join(work, `project-${mode}-`));
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `berth-user-${mode}`, version: '1.0.0', private: true })}\n`,
  );
  // Offline, from a copy of the cache scripts/test.mjs filled before the run left the network.
  const cache = join(work, `npm-cache-${mode}`);
  cpSync(npmCacheOfTheRun()!, cache, { recursive: true });
  if (mode === 'rootless') {
    const u = ensureTestUser();
    spawnSync('chown', ['-R', `${u.uid}:${u.gid}`, dir, cache]);
  }
  const args = ['install', '--offline', '--cache', cache, '--no-audit', '--no-fund', tarball];
  const r = await runAs(mode, 'npm', args, { cwd: dir, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`npm install ${tarball} as ${mode} failed (${r.code}): ${r.stderr}`);
  return dir;
}

/** Run CMD in CWD as root or as the test user (a clean environment: HOME, PATH, extra). */
export function runAs(
  mode: Mode,
  cmd: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<Result> {
  let argv: [string, string[]];
  let env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  delete env.BERTH_SHIM;
  if (mode === 'root') argv = [cmd, args];
  else {
    const u = ensureTestUser();
    const vars = [
      `HOME=${u.home}`,
      `PATH=${process.env.PATH}`,
      // The loopback Debian mirror scripts/test.mjs serves (test/helpers/test-mirror.ts).
      ...['BERTH_DEBIAN_MIRROR', 'BERTH_DEBIAN_KEYRING']
        .filter((k) => process.env[k])
        .map((k) => `${k}=${process.env[k]}`),
      ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ];
    argv = ['runuser', ['-u', TEST_USER, '--', 'env', '-i', ...vars, cmd, ...args]];
    env = process.env;
  }
  return new Promise((res, rej) => {
    const child = spawn(argv[0], argv[1], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(
        new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms; stdout=${stdout} stderr=${stderr}`),
      );
    }, opts.timeoutMs);
    child.once('error', rej);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}

/** A 0755 work directory under the system temp dir, removed when the process exits. */
export function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-npm-'));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
