/**
 * A QMP (QEMU Machine Protocol) client over a unix socket: read the greeting, negotiate
 * capabilities, run commands matched to their replies by id, deliver asynchronous events.
 * The protocol is one JSON object per line in each direction.
 */
import { connect, type Socket } from 'node:net';
import { DriverError } from '../../core/errors.js';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package?: string };
  capabilities: string[];
}

export class QmpError extends DriverError {}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  command: string;
}

export class QmpClient {
  greeting!: QmpGreeting;
  private buf = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private listeners = new Set<(e: QmpEvent) => void>();
  private closed: Error | undefined;
  private onGreeting?: (g: QmpGreeting) => void;

  private constructor(
    private readonly sock: Socket,
    path: string,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.feed(d));
    sock.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(
        e.code === 'ECONNRESET' || e.code === 'EPIPE'
          ? // QEMU went away (quit, crash): the same as an orderly close for whoever waits on us.
            new QmpError('qmp-closed', `QMP connection ${path} closed (${e.code})`, {
              fix: 'the VM has exited; see its log',
              cause: e,
            })
          : new QmpError('qmp-io', `QMP socket ${path}: ${e.message}`, { cause: e }),
      ),
    );
    sock.on('close', () =>
      this.fail(new QmpError('qmp-closed', `QMP connection ${path} closed`, { fix: 'the VM has exited; see its log' })),
    );
  }

  /** Connect, read the greeting and enter command mode (qmp_capabilities). */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const sock = connect(path);
    const client = new QmpClient(sock, path);
    const timer = setTimeout(() => sock.destroy(new Error(`no QMP greeting within ${timeoutMs} ms`)), timeoutMs);
    try {
      await new Promise<void>((res, rej) => {
        client.onGreeting = (g) => {
          client.greeting = g;
          res();
        };
        sock.once('error', rej);
        sock.once('close', () => rej(client.closed ?? new Error('closed before the greeting')));
      });
      await client.execute('qmp_capabilities');
    } catch (e) {
      sock.destroy();
      throw e instanceof QmpError
        ? e
        : new QmpError('qmp-connect', `cannot talk QMP on ${path}: ${(e as Error).message}`, {
            fix: 'is the VM running? see berth logs',
            cause: e,
          });
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  private feed(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line === '') continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new QmpError('qmp-protocol', `QMP sent a line that is not JSON: ${line.slice(0, 80)}`));
        this.sock.destroy();
        return;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.onGreeting?.(msg.QMP as QmpGreeting);
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of this.listeners) l(msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(
        new QmpError(
          'qmp-command-failed',
          `QMP ${p.command} failed: ${err.desc ?? 'unknown error'} (${err.class ?? 'Error'})`,
        ),
      );
    } else p.resolve(msg.return);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Run `command` and resolve with its `return` value; a QMP error rejects with QmpError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = `berth-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.sock.write(
        `${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`,
      );
    });
  }

  /** Call `fn` for every event; returns the unsubscribe function. */
  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The next event named `name` (e.g. STOP, RESUME, SHUTDOWN), or a rejection after timeoutMs. */
  waitEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new QmpError('qmp-timeout', `no QMP ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onEvent((e) => {
        if (e.event !== name) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  /** Close the connection (the VM keeps running). */
  close(): void {
    this.fail(new QmpError('qmp-closed', 'QMP connection closed by berth'));
    this.sock.end();
    this.sock.destroy();
  }
}
