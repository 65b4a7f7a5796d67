/** `GET /containers/{id}/changes` (`docker diff`): berth's diff as Docker's Kind numbers. */
import * as berth from '../../index.js';
import type { Route } from '../route.js';

/** Docker's ChangeType: 0 modified, 1 added, 2 deleted. */
const KIND = { C: 0, A: 1, D: 2 } as const;

const changes: Route = {
  method: 'GET',
  pattern: /^\/containers\/([^/]+)\/changes$/,
  subject: 'container',
  handler: async (x, [ref]) => {
    const list = await berth.diff(ref!);
    x.json(
      200,
      list.map((c) => ({ Path: c.path, Kind: KIND[c.kind] })),
    );
  },
};

export const changeRoutes: Route[] = [changes];
