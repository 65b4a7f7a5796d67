/** The shape of a route and what every handler gets. */
import type { Exchange } from './exchange.js';
import type { ServerState } from './state.js';
import { badRequest } from './errors.js';

export type Handler = (x: Exchange, params: string[], state: ServerState) => Promise<void>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** What a 404 from berth names: the container, image or network in params[0]. */
  subject?: 'container' | 'image' | 'network';
}

/** The body parsed as JSON (an empty body is {}); malformed JSON is a 400. */
export async function readJson<T>(x: Exchange): Promise<T> {
  const raw = (await x.body()).toString('utf8').trim();
  if (raw === '') return {} as T;
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw badRequest(`invalid JSON in the request body: ${(e as Error).message}`);
  }
}

/** Docker's boolean query parameters: 1, true, True. */
export function flag(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return v === '1' || v.toLowerCase() === 'true';
}
