/** Images: pull (`POST /images/create`, NDJSON progress, errors in the stream), list, inspect, remove. */
import * as berth from '../../index.js';
import { ApiError } from '../errors.js';
import { berthImageRef, dockerImageName } from '../image-names.js';
import { flag, type Route } from '../route.js';

const secs = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

const pull: Route = {
  method: 'POST',
  pattern: /^\/images\/create$/,
  handler: async (x) => {
    const from = x.query.get('fromImage');
    if (!from) throw new ApiError(501, 'only pulls (fromImage) are supported; berth does not import with fromSrc');
    const ref = berthImageRef(from, x.query.get('tag') || 'latest');
    const out = x.stream(200, 'application/json');
    const line = (v: unknown) => out.write(`${JSON.stringify(v)}\n`);
    const tag = ref.split(/[:@]/).pop() ?? 'latest';
    line({ status: `Pulling from ${from}`, id: tag });
    try {
      let digest: string;
      if (ref === 'busybox') digest = (await berth.image('busybox')).digest;
      else {
        const pulled = await berth.pull(ref, {
          onProgress: (m) => line({ status: m }),
          onTransfer: (t) =>
            line({
              status: t.finished ? 'Download complete' : 'Downloading',
              id: t.id.replace(/^sha256:/, '').slice(0, 12),
              progressDetail: { current: t.done, ...(t.total !== undefined ? { total: t.total } : {}) },
            }),
        });
        digest = pulled.digest;
      }
      line({ status: `Digest: ${digest}` });
      line({ status: `Status: Downloaded newer image for ${dockerImageName(ref)}` });
    } catch (e) {
      const message = berth.isBerthError(e) ? e.oneLine() : String(e);
      line({ errorDetail: { message }, error: message });
    }
    out.end();
  },
};

const list: Route = {
  method: 'GET',
  pattern: /^\/images\/json$/,
  handler: async (x) => {
    // The builtin busybox comes first; its digest exists once it is built (here, if need be).
    const rows = await Promise.all(
      (await berth.images()).map(async (r) =>
        r.builtin ? { ...r, digest: (await berth.image('busybox')).digest, pulledAt: undefined } : r,
      ),
    );
    x.json(
      200,
      rows.map((r) => ({
        Id: r.digest,
        ParentId: '',
        RepoTags: [dockerImageName(r.ref)],
        RepoDigests: [],
        Created: secs(r.pulledAt),
        Size: 0,
        SharedSize: -1,
        VirtualSize: 0,
        Labels: {},
        Containers: -1,
      })),
    );
  },
};

const inspect: Route = {
  method: 'GET',
  pattern: /^\/images\/(.+)\/json$/,
  subject: 'image',
  handler: async (x, [name]) => {
    const img = await berth.image(berthImageRef(name!));
    const c = img.config;
    x.json(200, {
      Id: img.digest,
      RepoTags: [dockerImageName(img.ref)],
      RepoDigests: [],
      Parent: '',
      Created: '1970-01-01T00:00:00Z',
      Os: 'linux',
      Architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      Size: 0,
      Config: {
        Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
        Cmd: c.cmd.length > 0 ? c.cmd : null,
        Entrypoint: c.entrypoint.length > 0 ? c.entrypoint : null,
        WorkingDir: c.workdir,
        User: c.user,
        ExposedPorts: {},
        Labels: {},
      },
      RootFS: { Type: 'layers', Layers: [] },
    });
  },
};

const remove: Route = {
  method: 'DELETE',
  pattern: /^\/images\/(.+)$/,
  subject: 'image',
  handler: async (x, [name]) => {
    const ref = berthImageRef(name!);
    if (ref === 'busybox') throw new ApiError(409, "busybox is berth's builtin image and cannot be removed");
    const img = await berth.image(ref);
    await berth.rmi(ref, { force: flag(x.query, 'force') });
    x.json(200, [{ Untagged: dockerImageName(ref) }, { Deleted: img.digest }]);
  },
};

export const imageRoutes: Route[] = [pull, list, inspect, remove];
