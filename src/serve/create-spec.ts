/**
 * A Docker `POST /containers/create` body turned into berth's spec input (pure: the handler
 * checks bind sources and picks free host ports). Tty and OpenStdin become the spec's tty and
 * interactive; what berth's spec has no field for (ExposedPorts, AutoRemove, ...) comes back as
 * `docker` and is kept with the environment in its `berth.docker` label (docker-settings.ts).
 */
import { BACKEND_NAMES, type BackendName, type Mount, type PortMapping, type SpecInput } from '../index.js';
import { badRequest } from './errors.js';
import { berthImageRef } from './image-names.js';
import { DOCKER_LABEL, dockerLabelValue, type DockerOnly } from './docker-settings.js';

export type { DockerOnly } from './docker-settings.js';

export const BACKEND_LABEL = 'berth.backend';
/** VM backends: a kernel manifest name or a kernel file, as `berth run --kernel`. */
export const KERNEL_LABEL = 'berth.kernel';

export interface DockerCreateBody {
  Image?: string;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Env?: string[] | null;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  Hostname?: string;
  WorkingDir?: string;
  User?: string;
  HostConfig?: {
    AutoRemove?: boolean;
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    PublishAllPorts?: boolean;
    Binds?: string[] | null;
    NetworkMode?: string;
    Memory?: number;
    NanoCpus?: number;
    Privileged?: boolean;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
  };
}

export interface CreatePlan {
  input: SpecInput;
  docker: DockerOnly;
  /** Ports whose host port is 0: the handler picks free ones and fills them in. */
  ports: PortMapping[];
}

const list = (v: string[] | string | null | undefined): string[] | undefined =>
  v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v];

function parsePortKey(key: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(key);
  const port = m ? Number(m[1]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw badRequest(`invalid port "${key}": expected PORT[/tcp|udp]`);
  return { port, protocol: (m[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function parseBind(b: string): Mount {
  const [source, target, opts] = b.split(':');
  if (!source || !target || !source.startsWith('/'))
    throw badRequest(`invalid bind "${b}": only HOSTPATH:PATH[:ro] binds of absolute host paths are supported`);
  return { source, target, readOnly: (opts ?? '').split(',').includes('ro') };
}

function envOf(env: string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

function networkOf(mode: string | undefined): string | undefined {
  if (!mode || mode === 'default' || mode === 'bridge') return undefined;
  return mode;
}

export function createPlan(body: DockerCreateBody, name: string | undefined, serverBackend?: string): CreatePlan {
  if (!body || typeof body !== 'object') throw badRequest('the request body must be a JSON object');
  if (!body.Image) throw badRequest('Image is required');
  const hc = body.HostConfig ?? {};
  const labels = { ...(body.Labels ?? {}) };
  const backend = labels[BACKEND_LABEL] ?? serverBackend;
  if (backend !== undefined && backend !== 'auto' && !BACKEND_NAMES.includes(backend as BackendName))
    throw badRequest(`unknown backend "${backend}" (label ${BACKEND_LABEL}): use ${BACKEND_NAMES.join(', ')} or auto`);
  const ports: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(hc.PortBindings ?? {})) {
    const { port, protocol } = parsePortKey(key);
    for (const b of bindings ?? [{}]) {
      const hostPort = b.HostPort ? Number(b.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535)
        throw badRequest(`invalid HostPort "${b.HostPort}" for ${key}`);
      ports.push({
        ...(b.HostIp && b.HostIp !== '0.0.0.0' ? { hostIp: b.HostIp } : {}),
        hostPort,
        guestPort: port,
        protocol,
      });
    }
  }
  const exposed = Object.keys(body.ExposedPorts ?? {});
  if (hc.PublishAllPorts) {
    for (const key of exposed) {
      const { port, protocol } = parsePortKey(key);
      if (!ports.some((p) => p.guestPort === port && p.protocol === protocol))
        ports.push({ hostPort: 0, guestPort: port, protocol });
    }
  }
  const entrypoint = list(body.Entrypoint);
  const kernel = labels[KERNEL_LABEL];
  const network = networkOf(hc.NetworkMode);
  const input: SpecInput = {
    image: berthImageRef(body.Image),
    command: list(body.Cmd) ?? [],
    // docker run -t / -i: a terminal, and stdin that attach passes on (chroot, container).
    tty: body.Tty ?? false,
    interactive: body.OpenStdin ?? false,
    ...(entrypoint ? { entrypoint } : {}),
    ...(backend ? { backend: backend as BackendName | 'auto' } : {}),
    env: envOf(body.Env),
    labels,
    mounts: (hc.Binds ?? []).map(parseBind),
    limits: {
      ...(hc.Memory ? { memoryBytes: hc.Memory } : {}),
      ...(hc.NanoCpus ? { cpus: hc.NanoCpus / 1e9 } : {}),
    },
    ...(name ? { name: name.replace(/^\//, '') } : {}),
    ...(body.Hostname ? { hostname: body.Hostname } : {}),
    ...(body.WorkingDir ? { workdir: body.WorkingDir } : {}),
    ...(body.User ? { user: body.User } : {}),
    ...(network ? { network } : {}),
    ...(kernel ? { kernel } : {}),
    ...(hc.Privileged || hc.CapAdd || hc.CapDrop
      ? {
          security: {
            privileged: hc.Privileged ?? false,
            capAdd: hc.CapAdd ?? [],
            capDrop: hc.CapDrop ?? [],
            seccomp: 'default' as const,
          },
        }
      : {}),
  };
  const docker: DockerOnly = {
    tty: body.Tty ?? false,
    openStdin: body.OpenStdin ?? false,
    autoRemove: hc.AutoRemove ?? false,
    exposedPorts: exposed,
    networkMode: hc.NetworkMode || 'default',
    binds: hc.Binds ?? [],
  };
  return { input: { ...input, labels: { ...labels, [DOCKER_LABEL]: dockerLabelValue(docker) } }, ports, docker };
}
