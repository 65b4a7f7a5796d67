/** A live environment handle for library users: `await using env = await berth.create({...})`. */
import type { Context } from './context.js';
import type { ExecOptions, ExitResult, Status } from '../drivers/driver.js';
import type { BackendChoice } from '../core/env-store.js';
import type { LogRecord } from '../core/cri-log.js';
import { execIn, removeEnv, stopEnv, killEnv, waitEnv } from './lifecycle.js';
import { readLogs, type LogOptions } from './logs.js';
import { toExecResult, type EnvExecOptions, type ExecResult } from './exec-result.js';
import { waitUntil, type WaitStrategy } from './wait-for.js';

export class Environment implements AsyncDisposable {
  constructor(
    private readonly ctx: Context,
    readonly id: string,
    readonly name: string,
    readonly backend: string,
    readonly choice: BackendChoice,
    /** Called once this object removed the environment (a session's hold on its reaper). */
    private readonly onRemoved?: () => void,
  ) {}

  /** Run ARGV inside with output captured: `{ exitCode, stdout, stderr, signal, oomKilled, timedOut }`. */
  async exec(argv: string[], opts: EnvExecOptions = {}): Promise<ExecResult> {
    return toExecResult(await this.execRaw(argv, { ...opts, stdio: 'pipe' }));
  }

  /** Run ARGV inside with the driver's options as they are (e.g. stdio 'inherit' for this process's terminal). */
  execRaw(argv: string[], opts: Partial<ExecOptions> & { cwd?: string } = {}): Promise<ExitResult> {
    const { cwd, ...rest } = opts;
    return execIn(this.ctx, this.id, argv, {
      tty: false,
      interactive: false,
      env: {},
      ...(cwd ? { workdir: cwd } : {}),
      ...rest,
    });
  }

  /** Copy a host file or directory into DESTDIR inside (through tar in the image). */
  async copyIn(hostPath: string, destDir: string): Promise<void> {
    // Loaded on use: copy.ts pulls in fs/promises and stream/promises, which `run` never needs.
    const { copyIn } = await import('./copy.js');
    return copyIn(
      (argv, input) => this.execRaw(argv, { stdio: 'pipe', ...(input ? { input } : {}) }),
      hostPath,
      destDir,
    );
  }

  /** Copy PATH from inside into the host directory HOSTDIR. */
  async copyOut(path: string, hostDir: string): Promise<void> {
    const { copyOut } = await import('./copy.js');
    return copyOut((argv) => this.execRaw(argv, { stdio: 'pipe' }), path, hostDir);
  }

  /** Wait until STRATEGY (see `waitFor`) is satisfied, or fail after timeoutMs (default 30 s). */
  waitFor(strategy: WaitStrategy, opts: { timeoutMs?: number } = {}): Promise<void> {
    return waitUntil(this, strategy, opts.timeoutMs ?? 30_000);
  }

  status(): Status {
    return this.ctx.store.status(this.id);
  }

  logs(opts: LogOptions = {}): AsyncGenerator<LogRecord> {
    return readLogs(this.ctx.store, this.id, opts);
  }

  kill(signal = 'KILL'): Promise<void> {
    return killEnv(this.ctx, this.id, signal);
  }

  stop(timeoutMs = 10_000): Promise<ExitResult | undefined> {
    return stopEnv(this.ctx, this.id, timeoutMs);
  }

  wait(): Promise<ExitResult> {
    return waitEnv(this.ctx, this.id);
  }

  async remove(force = true): Promise<void> {
    await removeEnv(this.ctx, this.id, force);
    this.onRemoved?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove(true);
  }
}
