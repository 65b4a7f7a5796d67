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
