/** Helpers shared by suites. */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, type Unavailable, runOnce } from '../harness.js';
import { findExecutable } from '../../src/host/probes/exec.js';

export { findExecutable };

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** argv for the built berth CLI, or why it cannot run. */
export function berthArgv(repo: string): string[] | string {
  const bin = join(repo, 'dist', 'berth.cjs');
  if (!existsSync(bin)) return 'dist/berth.cjs not built (npm run build)';
  return [process.execPath, bin];
}

/**
 * A suite's own berth: a fresh temp directory (world-readable) holding its BERTH_ROOT, the CLI's
 * argv (or why it cannot run), and a cleanup that removes the environment ENV and the directory.
 */
export function privateBerth(
  repo: string,
  prefix: string,
  envName: string,
): { tmp: string; root: string; env: NodeJS.ProcessEnv; berth: string[] | string; cleanup: () => void } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(tmp, 0o755);
  const root = join(tmp, 'berth-root');
  const env = { ...process.env, BERTH_ROOT: root };
  const berth = berthArgv(repo);
  const cleanup = (): void => {
    if (typeof berth !== 'string') runOnce({ name: 'rm', argv: [...berth, 'rm', '-f', envName], env }, 60_000);
    rmSync(tmp, { recursive: true, force: true });
  };
  return { tmp, root, env, berth, cleanup };
}

/** A row, or an unavailable row when a tool is missing. */
export function tool(
  name: string,
  bin: string,
  args: string[],
  pkg: string,
  extra: Partial<Command> = {},
): Command | Unavailable {
  const path = findExecutable(bin);
  if (!path) return { name, unavailable: `${bin} not installed (apt-get install ${pkg})` };
  return { name, argv: [path, ...args], ...extra };
}

/**
 * The least any Node CLI that starts a process can cost: Node's start, node:child_process and one
 * spawn of ARGV, waited for. A start-up row of berth is compared with this, not only with `node -e 0`
 * (on this 2-core VM the spawn of a process from Node costs about as much as Node + 20 ms).
 */
export function nodeSpawnFloor(name: string, argv: string[]): Command {
  const script =
    "require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 1))";
  return { name, argv: [process.execPath, '-e', script, ...argv] };
}
