/** What a captured exec gives a test author: text output kept apart, the exit status and why. */
import type { ExitResult } from '../drivers/driver.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  signal?: string;
  oomKilled: boolean;
  timedOut: boolean;
}

export interface EnvExecOptions {
  /** Fed to the command's stdin, which is then closed (default: empty). */
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Working directory inside (default: the environment's). */
  cwd?: string;
  /** USER[:GROUP] inside (default: the environment's). */
  user?: string;
  /** Kill the command after this long; the result says timedOut. */
  timeoutMs?: number;
  /**
   * Streaming: each chunk as it arrives (the result still holds all of it). A promise returned
   * by either holds the command's output back until it settles (a reader that is behind, ADR 0080).
   */
  onStdout?: (chunk: Buffer) => unknown;
  onStderr?: (chunk: Buffer) => unknown;
}

export function toExecResult(r: ExitResult): ExecResult {
  return {
    exitCode: r.exitCode,
    stdout: r.stdout?.toString('utf8') ?? '',
    stderr: r.stderr?.toString('utf8') ?? '',
    ...(r.signal ? { signal: r.signal } : {}),
    oomKilled: r.oomKilled ?? false,
    timedOut: r.timedOut ?? false,
  };
}
