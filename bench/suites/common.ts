/** Helpers shared by suites. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Unavailable } from '../harness.js';
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
