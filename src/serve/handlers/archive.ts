/**
 * `/containers/{id}/archive`: HEAD (stat), GET (a tar of a path) and PUT (extract a tar into a
 * directory), each one exec of the image's own sh, stat and tar (GET and PUT through the
 * library's copyFrom and copyTo, as `berth cp`): the same on every backend, also before start
 * (the command is held meanwhile: api/start-held.ts).
 */
import { posix } from 'node:path';
import * as berth from '../../index.js';
import { OUT_REFUSED, PATH_EXISTS, PATH_STAT } from '../../api/copy-out-script.js';
import { ApiError, badRequest } from '../errors.js';
import type { Writable } from 'node:stream';
import { parseStatOutput, pathStatOf, statHeader, type PathStat } from '../path-stat.js';
import type { Exchange } from '../exchange.js';
import type { Route } from '../route.js';
import { findContainer, hold } from './containers.js';
import type { ServerState } from '../state.js';

const STAT_SCRIPT = `${PATH_EXISTS}; ${PATH_STAT} && { readlink -- "$1" || echo; }`;

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
  if (r.exitCode === OUT_REFUSED.noSuchPath)
    throw new ApiError(404, `Could not find the file ${path} in container ${id}`);
  if (r.exitCode !== 0) throw new ApiError(500, `stat ${path} failed: ${r.stderr?.toString().trim() ?? ''}`);
  return parseStatOutput(statName(path), r.stdout?.toString() ?? '');
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

/** The name Docker's stat gives PATH: its last element, `/` for the root. */
function statName(path: string): string {
  const clean = posix.normalize(path);
  return clean === '/' ? '/' : posix.basename(clean);
}

/** Docker's replies to a refusal of the copy scripts; anything else as statusOf says. */
export function archiveRefusal(e: unknown, id: string, path: string): unknown {
  if (!berth.isBerthError(e)) return e;
  if (e.code === 'no-such-path' || e.code === 'no-such-dest')
    return new ApiError(404, `Could not find the file ${path} in container ${id}`);
  if (e.code === 'not-a-directory') return badRequest(`extraction point is not a directory: ${path}`);
  return e;
}

/**
 * One exec (the library's copy-out script): the stat comes first on its stderr and opens the
 * reply with X-Docker-Container-Path-Stat, then tar's stdout streams into it.
 */
const get: Route = {
  method: 'GET',
  pattern: /^\/containers\/([^/]+)\/archive$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const id = await reachableId(ref!, state);
    const path = pathOf(x);
    let out: Writable | undefined;
    const open = (st: berth.InsidePath) => {
      out = x.stream(200, 'application/x-tar', {
        'X-Docker-Container-Path-Stat': statHeader(pathStatOf(statName(path), st)),
      });
      return out;
    };
    try {
      await berth.copyFrom(id, path, open);
    } catch (e) {
      if (!out) throw archiveRefusal(e, id, path);
      // The status is already sent: a failed tar ends the stream short, which clients report.
      out.destroy();
      return;
    }
    out?.end();
  },
};

/**
 * One exec (the library's tar-stream copy-in script): the directory is checked inside, and the
 * request body is read only once the script will extract it, streamed at tar's pace.
 */
const put: Route = {
  method: 'PUT',
  pattern: /^\/containers\/([^/]+)\/archive$/,
  subject: 'container',
  handler: async (x, [ref], state) => {
    const id = await reachableId(ref!, state);
    const path = pathOf(x);
    try {
      await berth.copyTo(id, x.bodyStream(), path);
    } catch (e) {
      throw archiveRefusal(e, id, path);
    }
    x.empty(200);
  },
};

export const archiveRoutes: Route[] = [head, get, put];
