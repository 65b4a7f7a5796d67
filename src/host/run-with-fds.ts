/**
 * Run a tool, optionally as another identity and with open files handed over as fds 3, 4, ...
 * (the child names them /proc/self/fd/N: it needs no path through directories it cannot enter).
 * Used to parse a guest-written disk as an unprivileged identity (ADR 0058). Never rejects.
 */
import { spawn } from 'node:child_process';

export interface RunWithFdsOptions {
  uid?: number;
  gid?: number;
  /** Open file descriptors, given to the child as fds 3, 4, ... in order. */
  fds?: number[];
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

export interface RunWithFdsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runWithFds(argv: string[], opts: RunWithFdsOptions = {}): Promise<RunWithFdsResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe', ...(opts.fds ?? [])],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
    const done = (code: number | null, why = '') =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() + why });
    child.once('error', (e) => done(null, e.message));
    child.once('close', (code) => done(code));
  });
}
