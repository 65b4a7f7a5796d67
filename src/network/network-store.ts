/**
 * Bridge networks as records: <data>/networks/<name>.json holds the subnet, the bridge and
 * nftables table names, and one lease per attached environment (address, names, published
 * ports). Every change happens under one lock (<runtime>/locks/networks.lock) and is written
 * atomically, so two concurrent runs never get the same address or host port. Leases of
 * environments that are no longer alive are dropped whenever the record is touched.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { SYSTEM_DATA_DIR, type Paths } from '../core/paths.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { acquireLock, type Lock } from '../core/lock.js';
import { SpecError, StateError } from '../core/errors.js';
import {
  formatIpv4,
  formatSubnet,
  gatewayOf,
  parseIpv4,
  parseSubnet,
  firstFree,
  overlaps,
  pickSubnet,
  type Subnet,
} from './subnet.js';
import { portsClash, formatPort, type PortMapping } from './port-spec.js';
import { checkNetworkName, DEFAULT_BRIDGE, RESERVED_NETWORK_NAMES } from '../core/network-mode.js';
import { checkMtu, DEFAULT_NETWORK_MTU } from './net-cmdline.js';
import { shortId } from '../core/names.js';

/** The MTU of a network record (records from before MTUs were kept: the kernel default). */
export const mtuOf = (n: NetworkRecord): number => n.mtu ?? 1500;

export interface Lease {
  envId: string;
  ip: string;
  names: string[];
  ports: PortMapping[];
  veth: string;
}

export interface NetworkRecord {
  name: string;
  subnet: string;
  gateway: string;
  bridge: string;
  table: string;
  /** Of the bridge and every veth/tap on it (absent in records made before it existed: 1500). */
  mtu?: number;
  createdAt: string;
  leases: Record<string, Lease>;
}

/** Not Podman's 10.88.0.0/16 nor Docker's 172.17.0.0/16: both may run on the same host. */
export const DEFAULT_BRIDGE_SUBNET = '10.87.0.0/16';

const hashed = (s: string) => `berth${createHash('sha256').update(s).digest('hex').slice(0, 8)}`;

/**
 * The bridge (and nftables table) of network NAME in the store whose data directory is DATA.
 * The default `bridge` network is per store (ADR 0041): `berth0` for root's default store, a name
 * hashed from the data directory for any other BERTH_ROOT, so two stores never share one.
 */
export function bridgeNameFor(name: string, data: string = SYSTEM_DATA_DIR): string {
  if (name !== DEFAULT_BRIDGE) return hashed(name);
  return data === SYSTEM_DATA_DIR ? 'berth0' : hashed(`${DEFAULT_BRIDGE}@${data}`);
}

export class NetworkStore {
  readonly dir: string;
  constructor(private readonly paths: Paths) {
    this.dir = join(paths.data, 'networks');
  }

  lock(): Promise<Lock> {
    return acquireLock(join(this.paths.locks, 'networks.lock'), 'the network records');
  }

  private file(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  read(name: string): NetworkRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as NetworkRecord;
    } catch {
      return undefined;
    }
  }

  get(name: string): NetworkRecord {
    const n = this.read(name);
    if (!n)
      throw new StateError('no-such-network', `no such network: ${name}`, {
        fix: `create it with "berth network create ${name}" (list them with "berth network ls")`,
      });
    return n;
  }

  write(n: NetworkRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file(n.name), n);
  }

  delete(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  list(): NetworkRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5));
    } catch {
      return [];
    }
    return names
      .map((n) => this.read(n))
      .filter((n): n is NetworkRecord => n !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A new record (not yet written): the name free and not reserved, the subnet overlapping
   * neither another berth network nor an address of this host (`hostCidrs`).
   */
  plan(
    name: string,
    subnetText: string | undefined,
    hostCidrs: { dev: string; cidr: string }[],
    mtu = DEFAULT_NETWORK_MTU,
  ): NetworkRecord {
    checkNetworkName(name);
    try {
      checkMtu(mtu);
    } catch (e) {
      throw new SpecError('bad-mtu', `--mtu: ${(e as Error).message}`, {
        fix: 'give an MTU from 1280 to 65520 (default 65520)',
      });
    }
    if ((RESERVED_NETWORK_NAMES as readonly string[]).includes(name)) {
      throw new SpecError('reserved-network', `"${name}" is a network mode, not a name for a network`, {
        fix: 'choose another name',
      });
    }
    if (this.read(name))
      throw new StateError('network-exists', `network "${name}" already exists`, {
        fix: `remove it with "berth network rm ${name}" or choose another name`,
      });
    const others = this.list().map((n) => ({ name: `network ${n.name}`, subnet: parseSubnet(n.subnet) }));
    const host = hostCidrs.flatMap((h) => {
      const [a, p] = h.cidr.split('/');
      const ip = parseIpv4(a ?? '');
      const prefix = Number(p);
      if (ip === undefined || ip >>> 24 === 127) return [];
      const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      return [{ name: `host interface ${h.dev} (${h.cidr})`, subnet: { base: (ip & m) >>> 0, prefix } as Subnet }];
    });
    let subnet: Subnet;
    if (subnetText !== undefined) {
      subnet = parseSubnet(subnetText);
      const clash = [...others, ...host].find((o) => overlaps(o.subnet, subnet));
      if (clash)
        throw new SpecError(
          'subnet-overlap',
          `subnet ${subnetText} overlaps ${clash.name} (${formatSubnet(clash.subnet)})`,
          { fix: 'choose a subnet that overlaps no other network, e.g. see "berth network ls"' },
        );
    } else if (
      name === DEFAULT_BRIDGE &&
      ![...others, ...host].some((o) => overlaps(o.subnet, parseSubnet(DEFAULT_BRIDGE_SUBNET)))
    ) {
      subnet = parseSubnet(DEFAULT_BRIDGE_SUBNET);
    } else {
      const picked = pickSubnet([...others, ...host].map((o) => o.subnet));
      if (!picked) throw new SpecError('no-subnet', 'no free /24 left in 10.89.0.0/16', { fix: 'pass --subnet' });
      subnet = picked;
    }
    const bridge = bridgeNameFor(name, this.paths.data);
    return {
      name,
      subnet: formatSubnet(subnet),
      gateway: formatIpv4(gatewayOf(subnet)),
      bridge,
      table: bridge,
      mtu,
      createdAt: new Date().toISOString(),
      leases: {},
    };
  }

  /** Drop leases whose environment is gone; returns whether anything changed. */
  static prune(n: NetworkRecord, alive: (envId: string) => boolean): boolean {
    let changed = false;
    for (const id of Object.keys(n.leases)) {
      if (!alive(id)) {
        delete n.leases[id];
        changed = true;
      }
    }
    return changed;
  }

  /** Host ports already published by live environments on any berth network. */
  conflicts(ports: PortMapping[], alive: (envId: string) => boolean, exceptEnv?: string): string | undefined {
    for (const n of this.list()) {
      for (const l of Object.values(n.leases)) {
        if (l.envId === exceptEnv || !alive(l.envId)) continue;
        for (const p of ports) {
          const q = l.ports.find((o) => portsClash(o, p));
          if (q)
            return `host port ${formatPort(p)} is already published by environment ${l.names[0] ?? shortId(l.envId)} (${formatPort(q)})`;
        }
      }
    }
    return undefined;
  }

  /** An address for envId on n (the caller holds the lock and writes n). */
  static allocate(n: NetworkRecord, envId: string, names: string[], ports: PortMapping[], veth: string): Lease {
    const subnet = parseSubnet(n.subnet);
    const ip = firstFree(
      subnet,
      Object.values(n.leases).map((l) => parseIpv4(l.ip)!),
    );
    if (ip === undefined)
      throw new StateError('network-full', `network ${n.name} (${n.subnet}) has no free address`, {
        fix: 'remove environments from it or create a larger network',
      });
    const lease: Lease = { envId, ip: formatIpv4(ip), names, ports, veth };
    n.leases[envId] = lease;
    return lease;
  }
}
