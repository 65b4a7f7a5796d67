/**
 * A running environment for unit tests of the copy code: its exec runs the command on the host
 * through the shim backends' own piping (src/drivers/shim/exec-io.ts), so a script meets a host
 * directory as "inside", and each exec's argv and stdin are recorded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExecHelper } from '../../../src/drivers/shim/exec-io.js';
import type { Context } from '../../../src/api/context.js';
import type { ExecOptions, ExitResult } from '../../../src/drivers/driver.js';

export interface RecordedExec {
  argv: string[];
  input: ExecOptions['input'];
}

/** A context with one running environment whose driver's exec is EXEC. */
export function contextWithExec(exec: (h: unknown, argv: string[], opts: ExecOptions) => Promise<ExitResult>): Context {
  return {
    store: {
      find: () => ({ id: 'e1', name: 'e', backend: 'chroot' }),
      status: () => ({ state: 'running' }),
      dirOf: () => '/nonexistent',
    },
    registry: { get: () => ({ exec }) },
  } as unknown as Context;
}

export function fakeExecEnv(): { ctx: Context; execs: RecordedExec[] } {
  const execs: RecordedExec[] = [];
  const ctx = contextWithExec((_h, argv, opts) => {
    execs.push({ argv, input: opts.input });
    return runExecHelper(argv[0]!, argv.slice(1), opts);
  });
  return { ctx, execs };
}

/** The sample both copy tests move: DIR/tree/{sub/leaf,top} and DIR/file. */
export function writeSampleTree(dir: string): void {
  mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'sub', 'leaf'), 'leaf\n');
  writeFileSync(join(dir, 'tree', 'top'), 'top\n');
  writeFileSync(join(dir, 'file'), 'one\n');
}
