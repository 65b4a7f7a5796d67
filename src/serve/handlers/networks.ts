/** Networks: list, inspect, create, remove; `bridge`, `host` and `none` always exist, as in Docker. */
import * as berth from '../../index.js';
import { ApiError, badRequest } from '../errors.js';
import { readJson, type Route } from '../route.js';

const DEFAULT_SUBNET = '10.87.0.0/16';
const DEFAULT_GATEWAY = '10.87.0.1';
const BUILTIN = ['bridge', 'host', 'none'];

interface Net {
  name: string;
  subnet?: string;
  gateway?: string;
  createdAt?: string;
}

function shape(n: Net): Record<string, unknown> {
  const driver = n.name === 'host' || n.name === 'none' ? n.name : 'bridge';
  return {
    Name: n.name,
    Id: n.name,
    Created: n.createdAt ?? '1970-01-01T00:00:00Z',
    Scope: 'local',
    Driver: driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

async function all(): Promise<Net[]> {
  const made = await berth.networkList();
  const out: Net[] = made.map((n) => ({ name: n.name, subnet: n.subnet, gateway: n.gateway }));
  if (!out.some((n) => n.name === 'bridge'))
    out.unshift({ name: 'bridge', subnet: DEFAULT_SUBNET, gateway: DEFAULT_GATEWAY });
  out.push({ name: 'host' }, { name: 'none' });
  return out;
}

const list: Route = {
  method: 'GET',
  pattern: /^\/networks$/,
  handler: async (x) => x.json(200, (await all()).map(shape)),
};

const inspect: Route = {
  method: 'GET',
  pattern: /^\/networks\/([^/]+)$/,
  handler: async (x, [name]) => {
    const n = (await all()).find((m) => m.name === name);
    if (!n) throw new ApiError(404, `network ${name} not found`);
    x.json(200, shape(n));
  },
};

const create: Route = {
  method: 'POST',
  pattern: /^\/networks\/create$/,
  handler: async (x) => {
    const body = await readJson<{ Name?: string; IPAM?: { Config?: { Subnet?: string }[] } }>(x);
    if (!body.Name) throw badRequest('Name is required');
    if (BUILTIN.includes(body.Name)) throw new ApiError(409, `network with name ${body.Name} already exists`);
    const subnet = body.IPAM?.Config?.[0]?.Subnet;
    const n = await berth.networkCreate(body.Name, subnet ? { subnet } : {});
    x.json(201, { Id: n.name, Warning: '' });
  },
};

const remove: Route = {
  method: 'DELETE',
  pattern: /^\/networks\/([^/]+)$/,
  handler: async (x, [name]) => {
    if (BUILTIN.includes(name!)) throw new ApiError(403, `${name} is a pre-defined network and cannot be removed`);
    try {
      await berth.networkRemove(name!);
    } catch (e) {
      if (berth.isBerthError(e) && /no-such|unknown/.test(e.code)) throw new ApiError(404, `network ${name} not found`);
      throw e;
    }
    x.empty(204);
  },
};

export const networkRoutes: Route[] = [list, inspect, create, remove];
