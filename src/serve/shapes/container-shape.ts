/** berth's environment records in the shapes of Docker's container inspect and list replies. */
import {
  dockerPortBindings,
  type EnvRecord,
  type EnvSummary,
  type NetworkState,
  type PortMapping,
  type Status,
} from '../../index.js';
import { dockerLabels, dockerSettingsOf } from '../docker-settings.js';
import { dockerImageName } from '../image-names.js';

type Inspected = { record: EnvRecord; status: Status; network: NetworkState };

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function dockerState(s: Status): string {
  return s.state === 'removed' ? 'removing' : s.state;
}

function ago(iso: string | undefined, now: number): string {
  const secs = iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : 0;
  if (secs < 60) return secs <= 1 ? 'Less than a second' : `${secs} seconds`;
  const mins = Math.round(secs / 60);
  if (mins < 60) return mins === 1 ? 'About a minute' : `${mins} minutes`;
  const hours = Math.round(mins / 60);
  return hours === 1 ? 'About an hour' : `${hours} hours`;
}

/** `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`: the Status column of `docker ps`. */
export function statusText(s: Status, now = Date.now()): string {
  if (s.state === 'running') return `Up ${ago(s.startedAt, now)}`;
  if (s.state === 'paused') return `Up ${ago(s.startedAt, now)} (Paused)`;
  if (s.state === 'exited') return `Exited (${s.exit?.exitCode ?? 0}) ${ago(s.finishedAt, now)} ago`;
  return 'Created';
}

function portsOf(rec: EnvRecord, net: NetworkState): PortMapping[] {
  return net.ports.length > 0 ? net.ports : rec.spec.ports;
}

/** NetworkSettings.Ports: every exposed port, with its host bindings (null when not published). */
export function portMap(rec: EnvRecord, net: NetworkState, exposedPorts?: string[]): Record<string, unknown> {
  return dockerPortBindings(portsOf(rec, net), exposedPorts);
}

const envList = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

export function containerInspect(i: Inspected): Record<string, unknown> {
  const { record: rec, status, network: net } = i;
  const docker = dockerSettingsOf(rec);
  const [path, ...args] = rec.command.argv;
  const running = status.state === 'running' || status.state === 'paused';
  const networkName = net.network ?? (net.mode === 'bridge' ? 'bridge' : net.mode);
  const endpoint = {
    IPAddress: net.ip ?? '',
    IPPrefixLen: net.prefix ?? 0,
    Gateway: net.gateway ?? '',
    MacAddress: net.mac ?? '',
    NetworkID: networkName,
    EndpointID: '',
    Aliases: null,
  };
  return {
    Id: rec.id,
    Created: rec.createdAt,
    Path: path ?? '',
    Args: args,
    State: {
      Status: dockerState(status),
      Running: running,
      Paused: status.state === 'paused',
      Restarting: false,
      OOMKilled: status.exit?.oomKilled ?? false,
      Dead: false,
      Pid: running ? (status.pid ?? 0) : 0,
      ExitCode: status.exit?.exitCode ?? 0,
      Error: status.reconciled ?? '',
      StartedAt: status.startedAt ?? ZERO_TIME,
      FinishedAt: status.finishedAt ?? ZERO_TIME,
    },
    Image: rec.image.digest,
    Name: `/${rec.name}`,
    RestartCount: 0,
    Driver: `berth-${rec.backend}`,
    Platform: 'linux',
    HostConfig: {
      AutoRemove: docker.autoRemove,
      Binds: docker.binds,
      NetworkMode: docker.networkMode,
      PortBindings: portMap(rec, { ...net, ports: portsOf(rec, net) }),
      Memory: rec.spec.limits.memoryBytes ?? 0,
      NanoCpus: Math.round((rec.spec.limits.cpus ?? 0) * 1e9),
      Privileged: rec.spec.security.privileged,
    },
    Mounts: rec.spec.mounts.map((m) => ({
      Type: 'bind',
      Source: m.source,
      Destination: m.target,
      Mode: m.readOnly ? 'ro' : '',
      RW: !m.readOnly,
      Propagation: 'rprivate',
    })),
    Config: {
      Hostname: rec.hostname,
      User: rec.spec.user ?? '',
      Tty: docker.tty,
      OpenStdin: docker.openStdin,
      Env: envList({ ...rec.image.config.env, ...rec.spec.env }),
      Cmd: rec.spec.command.length > 0 ? rec.spec.command : rec.image.config.cmd,
      Entrypoint: rec.spec.entrypoint ?? (rec.image.config.entrypoint.length > 0 ? rec.image.config.entrypoint : null),
      Image: dockerImageName(rec.image.ref),
      WorkingDir: rec.spec.workdir ?? rec.image.config.workdir,
      Labels: dockerLabels(rec.spec.labels),
      ExposedPorts: Object.fromEntries(docker.exposedPorts.map((p) => [p, {}])),
    },
    NetworkSettings: {
      Ports: portMap(rec, net, docker.exposedPorts),
      IPAddress: net.ip ?? '',
      Gateway: net.gateway ?? '',
      Networks: net.mode === 'host' || net.mode === 'none' ? { [net.mode]: endpoint } : { [networkName]: endpoint },
    },
  };
}

export function containerSummary(s: EnvSummary, rec: EnvRecord, net: NetworkState): Record<string, unknown> {
  return {
    Id: s.id,
    Names: [`/${s.name}`],
    Image: dockerImageName(s.image),
    ImageID: rec.image.digest,
    Command: s.command.join(' '),
    Created: Math.floor(Date.parse(s.createdAt) / 1000),
    Ports: portsOf(rec, net).map((p) => ({
      IP: p.hostIp ?? '0.0.0.0',
      PrivatePort: p.guestPort,
      PublicPort: p.hostPort,
      Type: p.protocol,
    })),
    Labels: dockerLabels(rec.spec.labels),
    State: dockerState(s.status),
    Status: statusText(s.status),
    HostConfig: { NetworkMode: rec.spec.network ?? 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
