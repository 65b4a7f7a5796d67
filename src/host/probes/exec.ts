/**
 * Tiny process helpers for probes. Probes sometimes run on the CLI's hot path, so this uses
 * node:child_process directly (no execa) and plain fs reads.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface RunResult {
  /** Exit status, or null when killed by a signal / not started. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (ENOENT, EACCES) or timed out. */
  error?: string;
  timedOut: boolean;
}

/** Run argv without a shell, collect output, never reject. */
export function run(
  argv: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const result: RunResult = { status: null, signal: null, stdout: '', stderr: '', timedOut: false };
    if (!cmd) {
      resolve({ ...result, error: 'empty command' });
      return;
    }
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...(opts.env ?? process.env), LC_ALL: 'C' },
        cwd: opts.cwd,
      });
    } catch (e) {
      resolve({ ...result, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    const timer = setTimeout(() => {
      result.timedOut = true;
      result.error = `timed out after ${opts.timeoutMs ?? 5000} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 5000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (result.stdout.length < 65536) result.stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (result.stderr.length < 65536) result.stderr += d;
    });
    child.on('error', (e) => {
      result.error ??= e.message;
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      result.status = status;
      result.signal = signal;
      resolve(result);
    });
  });
}

/** First line of stderr (or stdout), for error messages. */
export function firstLine(r: RunResult): string {
  const text = (r.error ?? '') || r.stderr.trim() || r.stdout.trim();
  return text.split('\n')[0]?.trim() ?? '';
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Absolute path of an executable: searches $PATH and then the usual system directories
 * (a normal user's PATH often lacks /usr/sbin, where chroot and mke2fs live).
 */
export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(name)
    ? [name]
    : [...pathEnv.split(delimiter).filter((d) => d !== ''), ...SYSTEM_DIRS].map((d) => join(d, name));
  for (const p of candidates) {
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Read a small text file; undefined when it does not exist or cannot be read. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function isRootUser(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
