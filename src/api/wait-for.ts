/**
 * Wait strategies for test authors: until a log line matches, a TCP port listens inside, or a
 * command succeeds, each with a deadline and an error that says what was last seen.
 *
 *   await env.waitFor(waitFor.logLine(/ready/), { timeoutMs: 10_000 });
 */
import { DriverError } from '../core/errors.js';
import type { LogRecord } from '../core/cri-log.js';
import type { Status } from '../core/env-status.js';
import type { ExecResult } from './exec-result.js';
import { listeningPorts } from './proc-net.js';

/** What a strategy may use of an environment. */
export interface Waitable {
  readonly name: string;
  exec(argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  logs(opts: { follow: boolean; signal?: AbortSignal }): AsyncIterable<LogRecord>;
  /** Its state now: a wait that ends because the command exited says so, not "gave up". */
  status?(): Status;
}

export interface WaitStrategy {
  readonly description: string;
  /** Resolves when satisfied; rejects with the last observation when the signal aborts. */
  until(env: Waitable, signal: AbortSignal): Promise<void>;
}

const POLL_MS = 200;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

async function poll(signal: AbortSignal, check: () => Promise<string | true>): Promise<void> {
  let last = 'nothing checked yet';
  while (!signal.aborted) {
    const r = await check();
    if (r === true) return;
    last = r;
    await sleep(POLL_MS, signal);
  }
  throw new Error(last);
}

export const waitFor = {
  /** A line of the environment's stdout/stderr log matches RE (lines already written count). */
  logLine(re: RegExp): WaitStrategy {
    return {
      description: `a log line matching ${re}`,
      async until(env, signal) {
        let lines = 0;
        for await (const rec of env.logs({ follow: true, signal })) {
          lines += 1;
          if (re.test(rec.text)) return;
        }
        throw new Error(`${lines} log lines seen, none matched`);
      },
    };
  },
  /** Something listens on TCP port N inside (read from /proc/net/tcp{,6} inside). */
  port(port: number): WaitStrategy {
    return {
      description: `TCP port ${port} listening inside`,
      until: (env, signal) =>
        poll(signal, async () => {
          const r = await env.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6'], { timeoutMs: 5_000 });
          const ports = listeningPorts(r.stdout);
          return ports.has(port) || `listening: ${[...ports].join(', ') || 'none'}`;
        }),
    };
  },
  /** ARGV exits 0 inside. */
  command(argv: string[]): WaitStrategy {
    return {
      description: `"${argv.join(' ')}" to succeed`,
      until: (env, signal) =>
        poll(signal, async () => {
          const r = await env.exec(argv, { timeoutMs: 5_000 });
          return (
            r.exitCode === 0 ||
            `last exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''}`
          );
        }),
    };
  },
};

/** "exited with code 3" / "was killed by SIGKILL" when ENV's command has ended, else undefined. */
function endedText(env: Waitable): string | undefined {
  let s: Status | undefined;
  try {
    s = env.status?.();
  } catch {
    return undefined;
  }
  if (s?.state !== 'exited') return undefined;
  const code = s.exit?.exitCode;
  if (s.exit?.signal) return `was killed by ${s.exit.signal}${code !== undefined ? ` (exit code ${code})` : ''}`;
  return code !== undefined ? `exited with code ${code}` : 'exited';
}

/** How long a failed strategy waits for the state record to show the exit it may have seen first. */
const SETTLE_MS = 2_000;

/**
 * endedText, allowing the record to catch up: exec can see "not running" a moment before the
 * monitor has written the exit, so an early failure polls the status briefly.
 */
async function settledEndText(env: Waitable): Promise<string | undefined> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const ended = endedText(env);
    if (ended !== undefined || Date.now() >= deadline) return ended;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run STRATEGY against ENV with a deadline; a typed error names what was awaited and last seen. */
export async function waitUntil(env: Waitable, strategy: WaitStrategy, timeoutMs: number): Promise<void> {
  const ac = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    await strategy.until(env, ac.signal);
  } catch (e) {
    const timedOut = ac.signal.aborted;
    const ended = timedOut ? endedText(env) : await settledEndText(env);
    const seen = (e as Error).message;
    if (ended !== undefined)
      throw new DriverError(
        'exited-while-waiting',
        `${env.name}: the command ${ended} while waiting for ${strategy.description} (${seen})`,
        { fix: 'see "berth logs" of the environment for why it ended', cause: e },
      );
    if (!timedOut)
      throw new DriverError(
        'wait-failed',
        `${env.name}: stopped waiting for ${strategy.description} after ${Date.now() - started} ms (${seen})`,
        { fix: 'check "berth logs" and "berth inspect" of the environment', cause: e },
      );
    throw new DriverError(
      'wait-timeout',
      `${env.name}: gave up after ${timeoutMs} ms waiting for ${strategy.description} (${seen})`,
      {
        fix: 'raise timeoutMs, or check "berth logs" of the environment',
        cause: e,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}
