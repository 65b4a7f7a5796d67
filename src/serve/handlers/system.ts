/** `/_ping`, `/version`, `/info` and `/events`. */
import { cpus, hostname, release, totalmem } from 'node:os';
import * as berth from '../../index.js';
import { VERSION } from '../../version.js';
import type { Route } from '../route.js';
import type { ContainerEvent } from '../state.js';

export const API_VERSION = '1.44';
export const MIN_API_VERSION = '1.24';

export const systemRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/_ping$/,
    handler: async (x) => {
      x.stream(200, 'text/plain', pingHeaders()).end('OK');
    },
  },
  {
    method: 'HEAD',
    pattern: /^\/_ping$/,
    handler: async (x) => {
      x.stream(200, 'text/plain', { ...pingHeaders(), 'Content-Length': '0' }).end();
    },
  },
  {
    method: 'GET',
    pattern: /^\/version$/,
    handler: async (x) => {
      x.json(200, {
        Platform: { Name: 'berth' },
        Components: [{ Name: 'Engine', Version: VERSION, Details: { ApiVersion: API_VERSION } }],
        Version: VERSION,
        ApiVersion: API_VERSION,
        MinAPIVersion: MIN_API_VERSION,
        Os: 'linux',
        Arch: process.arch === 'x64' ? 'amd64' : process.arch,
        KernelVersion: release(),
        GoVersion: `node ${process.version}`,
        GitCommit: '',
        BuildTime: '',
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/info$/,
    handler: async (x, _p, state) => {
      const all = berth.list({ all: true });
      const count = (s: string) => all.filter((e) => e.status.state === s).length;
      x.json(200, {
        ID: 'berth',
        Containers: all.length,
        ContainersRunning: count('running'),
        ContainersPaused: count('paused'),
        ContainersStopped: count('exited') + count('created'),
        Images: (await berth.images()).length,
        Driver: `berth-${state.backend ?? 'auto'}`,
        OperatingSystem: 'berth',
        OSType: 'linux',
        Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
        KernelVersion: release(),
        NCPU: cpus().length,
        MemTotal: totalmem(),
        Name: hostname(),
        ServerVersion: VERSION,
        DockerRootDir: '',
        Labels: [`berth.backend=${state.backend ?? 'auto'}`],
        SecurityOptions: [],
        Runtimes: {},
        Plugins: { Volume: [], Network: ['bridge', 'host', 'none'], Log: ['json-file'] },
        RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'] },
        Swarm: { LocalNodeState: 'inactive' },
        Warnings: [],
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/events$/,
    handler: async (x, _p, state) => {
      const out = x.stream(200, 'application/json');
      const send = (e: ContainerEvent & { time: number }) => {
        const attributes = { ...e.labels, ...(e.name ? { name: e.name } : {}), ...(e.image ? { image: e.image } : {}) };
        if (e.exitCode !== undefined) Object.assign(attributes, { exitCode: String(e.exitCode) });
        out.write(
          `${JSON.stringify({
            Type: 'container',
            Action: e.action,
            status: e.action,
            id: e.id,
            Actor: { ID: e.id, Attributes: attributes },
            scope: 'local',
            time: Math.floor(e.time / 1000),
            timeNano: e.time * 1e6,
          })}\n`,
        );
      };
      state.events.on('event', send);
      x.onClose(() => state.events.off('event', send));
    },
  },
];

function pingHeaders(): Record<string, string> {
  return {
    'API-Version': API_VERSION,
    'Docker-Experimental': 'false',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    OSType: 'linux',
  };
}
