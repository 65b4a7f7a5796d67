/**
 * The C test programs of native/tests (built by `make -C native tests`, part of `npm run build`):
 * each drives one piece of a native helper and prints one "ok: ..." line per property.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './berth-cli.js';

/** The program's path; it must have been built. */
export function nativeTestProgram(name: string): string {
  const path = join(REPO, 'native', 'build', 'tests', name);
  assert.ok(existsSync(path), `${path} is missing: run npm run build (make -C native)`);
  return path;
}

/** Runs the program with no arguments; its lines, after it exited 0. */
export function nativeTestLines(name: string): string[] {
  const r = spawnSync(nativeTestProgram(name), [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return r.stdout.trim().split('\n');
}
