/** Small wrappers over child_process for the hot path (execa costs ~100 ms to load; see ADR 0002). */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { ExitResult } from '../driver.js';

export function signalName(num: number): string | undefined {
  return Object.entries(constants.signals).find(([, n]) => n === num)?.[0];
}

/** Wait for a spawned child; a signal death becomes 128+n as shells report it. */
export function statusFromExit(child: ChildProcess): Promise<ExitResult> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve({ exitCode: child.exitCode });
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (sig) {
        const n = constants.signals[sig] ?? 0;
        resolve({ exitCode: 128 + n, signal: sig });
      } else resolve({ exitCode: code ?? 125 });
    });
  });
}

/**
 * Run a helper to completion, collecting its stderr (stdout ignored). With `extraFds`, fds 3..
 * are socket pairs handed to `talk` while the helper runs; its rejection wins over the exit.
 */
export async function runToExit(
  cmd: string,
  args: string[],
  extraFds = 0,
  talk?: (fds: unknown[]) => Promise<void>,
): Promise<{ code: number; stderr: string }> {
  const extra = Array.from({ length: extraFds }, () => 'pipe' as const);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', ...extra] });
  const exited = new Promise<{ code: number; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (e) => resolve({ code: 125, stderr: e.message }));
    child.once('close', (code, sig) =>
      resolve({ code: code ?? (sig ? 128 + (constants.signals[sig] ?? 0) : 125), stderr }),
    );
  });
  if (!talk) return exited;
  const talked = talk(child.stdio.slice(3)).then(
    () => undefined,
    (e: unknown) => e,
  );
  const [res, failure] = await Promise.all([exited, talked]);
  if (failure !== undefined) throw failure;
  return res;
}

// Each handler costs ~1 ms at start-up (ADR 0002), so only the signals people send to a foreground job.
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

/**
 * While an attached monitor runs, signals sent to berth go to it (and it passes them on to the
 * command). Ctrl-C from a terminal already reaches the monitor, which shares our process group,
 * so with a terminal on stdin SIGINT is not forwarded a second time.
 */
export function forwardSignals(child: ChildProcess): () => void {
  // isatty(0), not process.stdin.isTTY: creating the stdin stream costs ~10 ms (ADR 0002).
  const terminal = isatty(0);
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      if (terminal && sig === 'SIGINT') return;
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const stop = () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
  child.once('exit', stop);
  return stop;
}
