/** A live environment handle for library users: `await using env = await berth.create({...})`. */
import type { Context } from './context.js';
import type { ExecOptions, ExitResult, Status } from '../drivers/driver.js';
import type { BackendChoice } from '../core/env-store.js';
import type { LogRecord } from '../core/cri-log.js';
import { execIn, removeEnv, stopEnv, killEnv, waitEnv } from './lifecycle.js';
import { readLogs, type LogOptions } from './logs.js';

export class Environment implements AsyncDisposable {
  constructor(
    private readonly ctx: Context,
    readonly id: string,
    readonly name: string,
    readonly backend: string,
    readonly choice: BackendChoice,
  ) {}

  exec(argv: string[], opts: Partial<ExecOptions> = {}): Promise<ExitResult> {
    return execIn(this.ctx, this.id, argv, { tty: false, interactive: false, env: {}, ...opts });
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

  remove(force = true): Promise<void> {
    return removeEnv(this.ctx, this.id, force);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove(true);
  }
}
