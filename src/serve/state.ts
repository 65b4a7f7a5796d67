/**
 * What the server keeps in memory beside berth's store (which keeps each container's Docker
 * settings and whether it is held: docker-settings.ts, handlers/containers.ts): exec instances,
 * the exits it follows, and an event bus (start, die, destroy) that attach, wait and /events listen on.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { TerminalSizes } from './terminal-sizes.js';

export interface ExecInstance {
  id: string;
  containerId: string;
  argv: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  tty: boolean;
  /** With tty: the size its client gives (resize). */
  terminal: TerminalSizes;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  /** Typed on the attached stdin, these let the client go and leave the command running. */
  detachKeys: number[];
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export interface ContainerEvent {
  action: 'create' | 'start' | 'die' | 'destroy' | 'exec_create' | 'exec_start' | 'exec_die' | 'kill' | 'stop';
  id: string;
  name?: string;
  image?: string;
  labels?: Record<string, string>;
  exitCode?: number;
}

export class ServerState {
  readonly execs = new Map<string, ExecInstance>();
  readonly events = new EventEmitter();
  /** The exit codes of the containers this server started, once they exit. */
  readonly exits = new Map<string, Promise<number>>();
  /**
   * Containers started with their command held for an archive request before start (Docker sees
   * them as created until its start releases them): the hold's start, shared by concurrent requests.
   */
  readonly held = new Map<string, Promise<void>>();

  constructor(readonly backend: string | undefined) {
    this.events.setMaxListeners(0);
  }

  emit(e: ContainerEvent): void {
    this.events.emit('event', { ...e, time: Date.now() });
    this.events.emit(`${e.action}:${e.id}`, e);
  }

  /** Resolves on the next ACTION event of container ID, or undefined once SIGNAL aborts. */
  next(action: ContainerEvent['action'], id: string, signal?: AbortSignal): Promise<ContainerEvent | undefined> {
    return new Promise((resolve) => {
      const key = `${action}:${id}`;
      const done = (e?: ContainerEvent) => {
        this.events.off(key, done);
        signal?.removeEventListener('abort', abort);
        resolve(e);
      };
      const abort = () => done(undefined);
      this.events.on(key, done);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Drop what is kept about a removed container. */
  forget(id: string): void {
    this.held.delete(id);
    this.exits.delete(id);
    for (const [k, e] of this.execs) if (e.containerId === id) this.execs.delete(k);
  }

  newExec(fields: Omit<ExecInstance, 'id' | 'running' | 'exitCode' | 'pid' | 'terminal'>): ExecInstance {
    const inst: ExecInstance = {
      ...fields,
      terminal: new TerminalSizes(),
      id: randomBytes(32).toString('hex'),
      running: false,
      exitCode: null,
      pid: 0,
    };
    this.execs.set(inst.id, inst);
    return inst;
  }

  findExec(ref: string): ExecInstance | undefined {
    const exact = this.execs.get(ref);
    if (exact) return exact;
    const byPrefix = [...this.execs.values()].filter((e) => e.id.startsWith(ref));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }
}
