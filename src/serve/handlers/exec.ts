/** Exec instances: create, start (hijacked or not, or detached) and inspect. */
import type { Readable } from 'node:stream';
import * as berth from '../../index.js';
import { ApiError, badRequest, noSuchExec } from '../errors.js';
import { outputWriter } from '../frames.js';
import { writeOrWait } from '../../core/write-or-wait.js';
import { readJson, type Route } from '../route.js';
import type { ExecInstance, ServerState } from '../state.js';
import { findContainer } from './containers.js';
import { attachInput, detachKeysOf } from '../attach-input.js';
import { sizeOf } from '../terminal-query.js';

interface ExecCreateBody {
  Cmd?: string[];
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
}

const envOf = (env: string[] | null | undefined) =>
  Object.fromEntries(
    (env ?? []).filter((e) => e.indexOf('=') > 0).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

const create: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/exec$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const body = await readJson<ExecCreateBody>(x);
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0) throw badRequest('No exec command specified');
    const { record, status } = findContainer(ref!, state);
    if (status.state !== 'running') throw new ApiError(409, `Container ${record.id} is not running`);
    const inst = state.newExec({
      containerId: record.id,
      argv: body.Cmd,
      env: envOf(body.Env),
      ...(body.WorkingDir ? { workdir: body.WorkingDir } : {}),
      ...(body.User ? { user: body.User } : {}),
      tty: body.Tty ?? false,
      attachStdin: body.AttachStdin ?? false,
      attachStdout: body.AttachStdout ?? false,
      attachStderr: body.AttachStderr ?? false,
      detachKeys: detachKeysOf(body.DetachKeys),
    });
    state.emit({ action: 'exec_create', id: record.id });
    x.json(201, { Id: inst.id });
  },
};

async function runExec(
  inst: ExecInstance,
  state: ServerState,
  write: ((stream: 'stdout' | 'stderr', data: Buffer) => Promise<void> | undefined) | undefined,
  input: Readable | undefined,
  hangup?: AbortSignal,
): Promise<void> {
  inst.running = true;
  state.emit({ action: 'exec_start', id: inst.containerId });
  try {
    const r = await berth.exec(inst.containerId, inst.argv, {
      // With a TTY the command gets a terminal (stdout and stderr are both its output).
      tty: inst.tty,
      terminal: inst.terminal,
      interactive: false,
      env: inst.env,
      stdio: 'pipe',
      ...(inst.workdir ? { workdir: inst.workdir } : {}),
      ...(inst.user ? { user: inst.user } : {}),
      ...(input ? { input } : {}),
      ...(hangup ? { hangup } : {}),
      ...(write && inst.attachStdout ? { onStdout: (c: Buffer) => write('stdout', c) } : {}),
      ...(write && inst.attachStderr ? { onStderr: (c: Buffer) => write('stderr', c) } : {}),
      keepStreamed: false,
    });
    inst.exitCode = r.exitCode;
  } catch (e) {
    inst.exitCode = 126;
    write?.('stderr', Buffer.from(`berth: ${berth.isBerthError(e) ? e.oneLine() : String(e)}\n`));
  } finally {
    // Set before the stream closes: clients inspect right after the stream ends.
    inst.running = false;
    state.emit({ action: 'exec_die', id: inst.containerId, exitCode: inst.exitCode ?? 126 });
  }
}

const start: Route = {
  method: 'POST',
  pattern: /^\/exec\/([^/]+)\/start$/,
  handler: async (x, [ref], state) => {
    const body = await readJson<{ Detach?: boolean; Tty?: boolean }>(x);
    const inst = state.findExec(ref!);
    if (!inst) throw noSuchExec(ref!);
    if (inst.running || inst.exitCode !== null) throw new ApiError(409, `exec ${inst.id} has already run`);
    if (body.Detach) {
      void runExec(inst, state, undefined, undefined);
      return x.empty(200);
    }
    const tty = body.Tty ?? inst.tty;
    inst.tty = tty;
    const out = x.stream(200, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    // stdin streams as typed (docker exec -it) or piped; the detach keys let the client go.
    // With a TTY the end of the input is the client going (docker exec -it): the command gets
    // SIGHUP, as from a closed terminal, instead of idling on forever.
    const hangup = new AbortController();
    const input =
      inst.attachStdin && x.input
        ? attachInput(
            x.input,
            inst.detachKeys,
            () => out.end(),
            () => tty && hangup.abort(),
          )
        : undefined;
    // At the client's pace: a client that reads slowly holds the command's output back inside.
    const write = outputWriter((b) => (out.writableEnded ? undefined : writeOrWait(out, b)), tty);
    await runExec(inst, state, write, input, hangup.signal);
    out.end();
  },
};

const inspect: Route = {
  method: 'GET',
  pattern: /^\/exec\/([^/]+)\/json$/,
  handler: async (x, [ref], state) => {
    const inst = state.findExec(ref!);
    if (!inst) throw noSuchExec(ref!);
    const [entrypoint, ...args] = inst.argv;
    x.json(200, {
      ID: inst.id,
      ContainerID: inst.containerId,
      Running: inst.running,
      ExitCode: inst.exitCode,
      OpenStdin: inst.attachStdin,
      OpenStdout: inst.attachStdout,
      OpenStderr: inst.attachStderr,
      CanRemove: false,
      DetachKeys: '',
      Pid: inst.pid,
      ProcessConfig: { entrypoint, arguments: args, tty: inst.tty, privileged: false, user: inst.user ?? '' },
    });
  },
};

/** The client's terminal size (`h` rows, `w` columns) for a TTY exec's terminal (every backend). */
const resize: Route = {
  method: 'POST',
  pattern: /^\/exec\/([^/]+)\/resize$/,
  handler: async (x, [ref], state) => {
    const inst = state.findExec(ref!);
    if (!inst) throw noSuchExec(ref!);
    const size = sizeOf(x.query);
    if (size) inst.terminal.set(size);
    x.empty(200);
  },
};

export const execRoutes: Route[] = [create, start, inspect, resize];
