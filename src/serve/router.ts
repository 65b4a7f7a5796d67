/** Finds the route of a request and turns whatever it throws into Docker's `{"message": ...}`. */
import { archiveRoutes } from './handlers/archive.js';
import { changeRoutes } from './handlers/changes.js';
import { containerRoutes } from './handlers/containers.js';
import { streamRoutes } from './handlers/container-streams.js';
import { execRoutes } from './handlers/exec.js';
import { imageRoutes } from './handlers/images.js';
import { networkRoutes } from './handlers/networks.js';
import { systemRoutes } from './handlers/system.js';
import { statusOf } from './errors.js';
import type { Exchange } from './exchange.js';
import type { Route } from './route.js';
import type { ServerState } from './state.js';

const ROUTES: Route[] = [
  ...systemRoutes,
  ...containerRoutes,
  ...streamRoutes,
  ...execRoutes,
  ...archiveRoutes,
  ...changeRoutes,
  ...imageRoutes,
  ...networkRoutes,
];

export function findRoute(method: string, path: string): { route: Route; params: string[] } | 'no-method' | undefined {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: m.slice(1).map(decodeURIComponent) };
  }
  return pathMatched ? 'no-method' : undefined;
}

/** Handles one exchange; never throws. Errors after the reply started end the connection. */
export async function dispatch(x: Exchange, state: ServerState, onError: (e: unknown) => void): Promise<void> {
  const found = findRoute(x.method, x.path);
  if (found === undefined) return x.json(404, { message: `page not found: ${x.method} ${x.path}` });
  if (found === 'no-method') return x.json(405, { message: `${x.method} is not allowed on ${x.path}` });
  const { route, params } = found;
  try {
    await route.handler(x, params, state);
  } catch (e) {
    const ref = params[0];
    const { status, message } = statusOf(e, route.subject === 'image' ? { image: ref } : { container: ref });
    if (status >= 500) onError(e);
    try {
      x.json(status, { message });
    } catch {
      // The reply had started: nothing more to say on it.
    }
  }
}
