/**
 * `/containers/{id}/archive`: HEAD (stat), GET (a tar of a path) and PUT (extract a tar into a
 * directory), through exec of the image's own sh, stat and tar: the same on every backend, also
 * before start (the command is held meanwhile: api/start-held.ts).
 */
import { posix } from 'node:path';
import * as berth from '../../index.js';
import { ApiError, badRequest } from '../errors.js';
import { parseStatOutput, statHeader, isDir, type PathStat } from '../path-stat.js';
import type { Exchange } from '../exchange.js';
import type { Route } from '../route.js';
import { findContainer, hold } from './containers.js';
import type { ServerState } from '../state.js';

const STAT_SCRIPT =
  '[ -e "$1" ] || [ -L "$1" ] || exit 44; stat -c "%s %f %Y" -- "$1" && { readlink -- "$1" || echo; }';
const NOT_FOUND = 44;

function pathOf(x: Exchange): string {
  const p = x.query.get('path');
  if (!p) throw badRequest('path is required');
  return p.startsWith('/') ? p : `/${p}`;
}

/**
 * The container whose filesystem the request reaches: a running one, or a created one, started
 * now with its command held (its start releases it): Docker copies before start too.
 */
async function reachableId(ref: string, state: ServerState): Promise<string> {
  const { record, status } = findContainer(ref, state);
  if (status.state === 'created') await hold(state, record.id);
  else if (status.state !== 'running')
    throw new ApiError(409, `container ${record.name} is ${status.state}: berth copies files only while it runs`);
  return record.id;
}

async function statIn(id: string, path: string): Promise<PathStat> {
  const r = await berth.exec(id, ['sh', '-c', STAT_SCRIPT, 'stat', path], {
    tty: false,
    interactive: false,
    env: {},
    stdio: 'pipe',
  });
  if (r.exitCode === NOT_FOUND) throw new ApiError(404, `Could not find the file ${path} in container ${id}`);
  if (r.exitCode !== 0) throw new ApiError(500, `stat ${path} failed: ${r.stderr?.toString().trim() ?? ''}`);
  const clean = posix.normalize(path);
  return parseStatOutput(clean === '/' ? '/' : posix.basename(clean), r.stdout?.toString() ?? '');
}

const head: Route = {
  method: 'HEAD',
  pattern: /^\/containers\/([^/]+)\/archive$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const id = await reachableId(ref!, state);
    const st = await statIn(id, pathOf(x));
    x.stream(200, 'application/json', { 'X-Docker-Container-Path-Stat': statHeader(st), 'Content-Length': '0' }).end();
  },
};

const get: Route = {
  method: 'GET',
  pattern: /^\/containers\/([^/]+)\/archive$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const id = await reachableId(ref!, state);
    const path = pathOf(x);
    const st = await statIn(id, path);
    const clean = posix.normalize(path).replace(/\/+$/, '') || '/';
    const [dir, base] = clean === '/' ? ['/', '.'] : [posix.dirname(clean), posix.basename(clean)];
    const out = x.stream(200, 'application/x-tar', { 'X-Docker-Container-Path-Stat': statHeader(st) });
    const r = await berth.exec(id, ['tar', '-c', '-f', '-', '-C', dir, base], {
      tty: false,
      interactive: false,
      env: {},
      stdio: 'pipe',
      onStdout: (c: Buffer) => out.write(c),
    });
    // The status is already sent: a failed tar ends the stream short, which clients report.
    if (r.exitCode !== 0) out.destroy();
    else out.end();
  },
};

const put: Route = {
  method: 'PUT',
  pattern: /^\/containers\/([^/]+)\/archive$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const id = await reachableId(ref!, state);
    const path = pathOf(x);
    const tar = await x.body();
    const st = await statIn(id, path);
    if (!isDir(st)) throw badRequest(`extraction point is not a directory: ${path}`);
    const r = await berth.exec(id, ['tar', '-x', '-f', '-', '-C', path], {
      tty: false,
      interactive: false,
      env: {},
      stdio: 'pipe',
      input: tar,
    });
    if (r.exitCode !== 0)
      throw new ApiError(500, `extracting into ${path} failed: ${r.stderr?.toString().trim() ?? ''}`);
    x.empty(200);
  },
};

export const archiveRoutes: Route[] = [head, get, put];
