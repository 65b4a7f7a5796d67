/** Containers: create, start, stop, kill, remove, inspect, list and wait. */
import { existsSync } from 'node:fs';
import * as berth from '../../index.js';
import { createPlan, type DockerCreateBody } from '../create-spec.js';
import { ApiError, badRequest } from '../errors.js';
import { flag, readJson, type Route } from '../route.js';
import { containerInspect, containerSummary } from '../shapes/container-shape.js';
import type { ServerState } from '../state.js';
import { DOCKER_LABEL, dockerSettingsOf } from '../docker-settings.js';

/**
 * The environment's record (404 names REF), or throws. A held container (its command waits in
 * the image's sh for its start, a state its record keeps: a restarted server sees it too) is
 * still `created`.
 */
export function findContainer(ref: string, state: ServerState) {
  const found = berth.inspect(ref);
  return state.held.has(found.record.id) || isHeld(found) ? asCreated(found) : found;
}

const isHeld = (f: { status: berth.Status; record: berth.EnvRecord }): boolean =>
  (f.status.state === 'running' || f.status.state === 'paused') &&
  berth.heldCommand(f.record.command.argv) !== undefined;

/** What Docker sees of a held container: created, running the command it was created with. */
function asCreated<T extends { status: berth.Status; record: berth.EnvRecord }>(found: T): T {
  const { startedAt: _s, ...status } = found.status as berth.Status & { startedAt?: unknown };
  const argv = found.record.command.argv;
  const real = berth.heldCommand(argv) ?? argv;
  return {
    ...found,
    record: { ...found.record, command: { ...found.record.command, argv: real } },
    status: { ...status, state: 'created' },
  };
}

/** Start a created container with its command held, once, for an archive request before start. */
export function hold(state: ServerState, id: string): Promise<void> {
  let started = state.held.get(id);
  if (!started) {
    const found = berth.inspect(id);
    // Held before this server started: nothing to do.
    started = isHeld(found) ? Promise.resolve() : berth.startHeld(id);
    state.held.set(id, started);
    started.catch(() => state.held.delete(id));
  }
  return started;
}

/** Follows a started container to its exit: `die`, then, for AutoRemove, its removal and `destroy`. */
export function watchExit(state: ServerState, id: string, name: string): void {
  const exited = berth.wait(id).then(
    (r) => r.exitCode,
    () => 125,
  );
  state.exits.set(id, exited);
  void exited.then(async (exitCode) => {
    state.emit({ action: 'die', id, name, exitCode });
    let autoRemove = false;
    try {
      autoRemove = dockerSettingsOf(berth.inspect(id).record).autoRemove;
    } catch {
      return; // removed meanwhile
    }
    if (!autoRemove) return;
    await berth.remove(id, { force: true }).catch(() => undefined);
    state.forget(id);
    state.emit({ action: 'destroy', id, name, exitCode });
  });
}

/**
 * Containers of the API that run already when a server starts (a restarted server): followed to
 * their exit as if started here (`die`, `wait`, AutoRemove). A held one is followed from its start.
 */
export function followRunning(state: ServerState): void {
  for (const s of berth.list()) {
    try {
      const found = findContainer(s.id, state);
      if (found.status.state === 'running' && found.record.spec.labels[DOCKER_LABEL] !== undefined)
        watchExit(state, s.id, s.name);
    } catch {
      // Removed meanwhile.
    }
  }
}

const create: Route = {
  method: 'POST',
  pattern: /^\/containers\/create$/,
  handler: async (x, _p, state) => {
    const body = await readJson<DockerCreateBody>(x);
    const plan = createPlan(body, x.query.get('name') ?? undefined, state.backend);
    for (const m of plan.input.mounts ?? [])
      if (!existsSync(m.source)) throw badRequest(`invalid mount config: bind source path does not exist: ${m.source}`);
    // Docker answers an image that is not stored with 404 (the CLI then pulls and retries);
    // berth would pull on its own. A VM kernel missing from the cache is still fetched on first use.
    try {
      await berth.image(plan.input.image!);
    } catch (e) {
      if (berth.isBerthError(e) && ['not-stored', 'no-such-image', 'not-recorded'].includes(e.code))
        throw new ApiError(404, `No such image: ${body.Image}`);
      throw e;
    }
    // A HostPort of "" or "0" is 0: the library picks a free host port and records it.
    const made = await berth.createStopped({ ...plan.input, ports: plan.ports });
    state.emit({ action: 'create', id: made.id, name: made.name, labels: plan.input.labels ?? {} });
    x.json(201, { Id: made.id, Warnings: [] });
  },
};

const start: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/start$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    if (status.state !== 'created') return x.empty(304);
    await state.held.get(record.id);
    if (berth.heldCommand(berth.inspect(record.id).record.command.argv)) {
      await berth.releaseHeld(record.id);
      state.held.delete(record.id);
    } else await berth.start(record.id);
    state.emit({ action: 'start', id: record.id, name: record.name });
    watchExit(state, record.id, record.name);
    x.empty(204);
  },
};

const stop: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/stop$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    if (status.state !== 'running' && status.state !== 'paused') return x.empty(304);
    const t = Number(x.query.get('t') ?? x.query.get('timeout') ?? 10);
    state.emit({ action: 'stop', id: record.id, name: record.name });
    await berth.stop(record.id, { timeoutMs: (Number.isFinite(t) && t >= 0 ? t : 10) * 1000 });
    await state.exits.get(record.id);
    x.empty(204);
  },
};

const kill: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/kill$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    if (status.state !== 'running' && status.state !== 'paused')
      throw new ApiError(409, `Container ${ref} is not running`);
    const signal = (x.query.get('signal') || 'KILL').replace(/^SIG/, '');
    state.emit({ action: 'kill', id: record.id, name: record.name });
    await berth.kill(record.id, signal);
    x.empty(204);
  },
};

const remove: Route = {
  method: 'DELETE',
  pattern: /^\/containers\/([^/]+)$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    const force = flag(x.query, 'force');
    if (!force && (status.state === 'running' || status.state === 'paused'))
      throw new ApiError(
        409,
        `You cannot remove a running container ${record.id}. Stop the container before attempting removal or force remove`,
      );
    await berth.remove(record.id, { force: true });
    state.forget(record.id);
    state.emit({ action: 'destroy', id: record.id, name: record.name, exitCode: status.exit?.exitCode ?? 0 });
    x.empty(204);
  },
};

const inspect: Route = {
  method: 'GET',
  pattern: /^\/containers\/([^/]+)\/json$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const i = findContainer(ref!, state);
    x.json(200, containerInspect(i));
  },
};

/** `filters={"label":["k=v"],"id":[...],"name":[...],"status":[...]}` */
function matches(filters: Record<string, string[] | Record<string, boolean>>, c: Record<string, unknown>): boolean {
  const values = (k: string): string[] => {
    const v = filters[k];
    return v === undefined ? [] : Array.isArray(v) ? v : Object.keys(v).filter((n) => v[n]);
  };
  const labels = c.Labels as Record<string, string>;
  for (const sel of values('label')) {
    const i = sel.indexOf('=');
    const key = i < 0 ? sel : sel.slice(0, i);
    if (!(key in labels) || (i >= 0 && labels[key] !== sel.slice(i + 1))) return false;
  }
  const ids = values('id');
  if (ids.length > 0 && !ids.some((v) => (c.Id as string).startsWith(v))) return false;
  const names = values('name');
  if (names.length > 0 && !names.some((v) => (c.Names as string[])[0]!.slice(1).includes(v.replace(/^\//, ''))))
    return false;
  const status = values('status');
  if (status.length > 0 && !status.includes(c.State as string)) return false;
  return true;
}

const list: Route = {
  method: 'GET',
  pattern: /^\/containers\/json$/,
  handler: async (x, _p, state) => {
    let filters: Record<string, string[]> = {};
    const raw = x.query.get('filters');
    if (raw) {
      try {
        filters = JSON.parse(raw);
      } catch {
        throw badRequest(`invalid filters: ${raw}`);
      }
    }
    const out: Record<string, unknown>[] = [];
    for (const s of berth.list({ all: flag(x.query, 'all') })) {
      try {
        const i = findContainer(s.id, state);
        const held = i.status.state !== s.status.state ? { status: i.status, command: i.record.command.argv } : {};
        const c = containerSummary({ ...s, ...held }, i.record, i.network);
        if (matches(filters, c)) out.push(c);
      } catch {
        // Removed between the list and its inspect.
      }
    }
    const limit = Number(x.query.get('limit') ?? -1);
    x.json(200, limit > 0 ? out.slice(-limit) : out);
  },
};

const wait: Route = {
  method: 'POST',
  pattern: /^\/containers\/([^/]+)\/wait$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const { record, status } = findContainer(ref!, state);
    const condition = x.query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(condition))
      throw badRequest(`invalid condition "${condition}": use not-running, next-exit or removed`);
    const closed = new AbortController();
    x.onClose(() => closed.abort());
    const removed = condition === 'removed' ? state.next('destroy', record.id, closed.signal) : undefined;
    // Headers at once: the docker CLI waits for them before it starts the container.
    const out = x.stream(200, 'application/json');
    let exitCode: number | undefined;
    if (status.state === 'exited' && condition !== 'next-exit') exitCode = status.exit?.exitCode ?? 0;
    else {
      if (status.state === 'created' && condition !== 'not-running')
        await state.next('start', record.id, closed.signal);
      if (status.state !== 'created' || condition !== 'not-running')
        exitCode = await (state.exits.get(record.id) ?? berth.wait(record.id).then((r) => r.exitCode));
    }
    if (removed) exitCode = (await removed)?.exitCode ?? exitCode;
    out.end(`${JSON.stringify({ StatusCode: exitCode ?? 0, Error: null })}\n`);
  },
};

export const containerRoutes: Route[] = [create, start, stop, kill, remove, inspect, list, wait];
