/** Exec instances: create, start (hijacked or not, or detached) and inspect. */
import type { Readable } from 'node:stream';
import * as berth from '../../index.js';
import { ApiError, badRequest, noSuchExec } from '../errors.js';
import { outputWriter } from '../frames.js';
import { readJson, type Route } from '../route.js';
import type { ExecInstance, ServerState } from '../state.js';
import { findContainer } from './containers.js';

interface ExecCreateBody {
  Cmd?: string[];
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
}

const envOf = (env: string[] | null | undefined) =>
  Object.fromEntries(
    (env ?? []).filter((e) => e.indexOf('=') > 0).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

/** All of the client's stdin, up to its half-close (docker exec -i with a pipe). */
function readInput(input: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    input.on('data', (c: Buffer) => parts.push(c));
    input.once('end', () => resolve(Buffer.concat(parts)));
    input.once('close', () => resolve(Buffer.concat(parts)));
    input.resume();
  });
}

const create: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/exec$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const body = await readJson<ExecCreateBody>(x);
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0) throw badRequest('No exec command specified');
    const { record, status } = findContainer(ref!);
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
    });
    state.emit({ action: 'exec_create', id: record.id });
    x.json(201, { Id: inst.id });
  },
};

async function runExec(
  inst: ExecInstance,
  state: ServerState,
  write: ((stream: 'stdout' | 'stderr', data: Buffer) => void) | undefined,
  input: Buffer | undefined,
): Promise<void> {
  inst.running = true;
  state.emit({ action: 'exec_start', id: inst.containerId });
  try {
    const r = await berth.exec(inst.containerId, inst.argv, {
      tty: false,
      interactive: false,
      env: inst.env,
      stdio: 'pipe',
      ...(inst.workdir ? { workdir: inst.workdir } : {}),
      ...(inst.user ? { user: inst.user } : {}),
      ...(input ? { input } : {}),
      ...(write && inst.attachStdout ? { onStdout: (c: Buffer) => write('stdout', c) } : {}),
      ...(write && inst.attachStderr ? { onStderr: (c: Buffer) => write('stderr', c) } : {}),
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
    const out = x.stream(200, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const input = inst.attachStdin && x.input ? await readInput(x.input) : undefined;
    const write = outputWriter((b) => {
      if (!out.destroyed) out.write(b);
    }, tty);
    await runExec(inst, state, write, input);
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

export const execRoutes: Route[] = [create, start, inspect];
