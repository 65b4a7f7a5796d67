/**
 * Running a host-side exec helper (the shim, a VM client) with ExecOptions' stdio: inherited, or
 * piped with input fed, output collected and streamed, and a timeout. Shared by every driver
 * whose exec is "spawn one helper process".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import type { ExecOptions, ExitResult } from '../driver.js';
import { signalName, statusFromExit } from '../common/spawn-wait.js';
import { keptOutput } from '../common/kept-output.js';
import { pipeReleasing } from '../common/recycled-chunks.js';
import { outputHold } from '../common/output-hold.js';

const KILL_GRACE_MS = 2_000;

/** FOLLOW, if given, watches the running helper (a terminal's resizes) until it returns its unsubscribe. */
export async function runExecHelper(
  cmd: string,
  args: string[],
  opts: ExecOptions,
  follow?: (child: ChildProcess) => () => void,
): Promise<ExitResult> {
  const piped = opts.stdio === 'pipe';
  const stdin = piped ? 'pipe' : opts.interactive ? 'inherit' : 'ignore';
  const child = spawn(cmd, args, { stdio: [stdin, piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'] });
  const unfollow = follow?.(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  if (piped) {
    const keep = keptOutput(opts);
    const hold = outputHold(child.stdout!);
    const holdErr = outputHold(child.stderr!);
    child.stdout!.on('data', (c: Buffer) => {
      if (keep.stdout) out.push(c);
      hold(opts.onStdout?.(c));
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (keep.stderr) err.push(c);
      holdErr(opts.onStderr?.(c));
    });
    child.stdin!.on('error', () => {
      /* the command did not read all of its input */
    });
    const input = opts.input;
    if (input instanceof Readable) {
      // A file's chunks read into reused buffers go back once the pipe has taken them (ADR 0075).
      const stop = pipeReleasing(input, child.stdin!);
      child.once('exit', stop);
    } else child.stdin!.end(input ?? '');
  }
  // The shim passes HUP on to the command.
  const hangup = () => child.kill('SIGHUP');
  opts.hangup?.addEventListener('abort', hangup, { once: true });
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
        }, opts.timeoutMs);
  try {
    let res = await statusFromExit(child);
    // The shim passes our TERM/KILL on and exits 128+N as the command did: name the signal, as the
    // VM backends do for a timed-out exec.
    if (timedOut && res.signal === undefined && res.exitCode > 128) {
      const sig = signalName(res.exitCode - 128);
      if (sig) res = { ...res, signal: sig };
    }
    if (piped) await Promise.all([closed(child.stdout!), closed(child.stderr!)]);
    return {
      ...res,
      ...(piped ? { stdout: Buffer.concat(out), stderr: Buffer.concat(err) } : {}),
      ...(timedOut ? { timedOut } : {}),
    };
  } finally {
    unfollow?.();
    opts.hangup?.removeEventListener('abort', hangup);
    clearTimeout(timer);
    clearTimeout(killTimer);
  }
}

function closed(s: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((s as { readableEnded?: boolean }).readableEnded) return resolve();
    s.once('close', () => resolve());
    s.once('end', () => resolve());
  });
}
