/** `berth network create|ls|inspect|rm`: bridge networks in the network namespace berth runs in. */
import type { Context } from './context.js';
import { NetworkStore, mtuOf, type NetworkRecord } from '../network/network-store.js';
import { stopResolver } from '../network/dns/resolver-process.js';
import { ensureBridge, applyNft, removeBridge, hostSubnets, linkExists } from '../network/plumbing/bridge-host.js';
import { HostError, StateError } from '../core/errors.js';
import { Reverter } from '../core/reverter.js';
import { shortId } from '../core/names.js';

function requireRoot(ctx: Context, what: string): void {
  if (ctx.rootless)
    throw new HostError('network-needs-root', `${what} needs root (bridges, veth pairs and NAT rules are privileged)`, {
      fix: 'run it as root, or use --network user as a normal user',
    });
}

function liveCheck(ctx: Context): (id: string) => boolean {
  return (id) => {
    if (!ctx.store.readRecord(id)) return false;
    const st = ctx.store.status(id).state;
    return st === 'created' || st === 'running' || st === 'paused';
  };
}

export async function createNetwork(
  ctx: Context,
  name: string,
  subnet: string | undefined,
  mtu?: number,
): Promise<NetworkRecord> {
  requireRoot(ctx, 'berth network create');
  const nets = new NetworkStore(ctx.paths);
  using _lock = await nets.lock();
  const n = nets.plan(name, subnet, await hostSubnets(), mtu);
  if (await linkExists(n.bridge)) {
    throw new StateError('bridge-exists', `a device named ${n.bridge} already exists in this network namespace`, {
      fix: `remove it (ip link del ${n.bridge}) or choose another name`,
    });
  }
  const revert = new Reverter();
  try {
    revert.add(() => removeBridge(n.bridge, n.table));
    await ensureBridge(n.bridge, `${n.gateway}/${n.subnet.split('/')[1]}`, mtuOf(n));
    await applyNft({ table: n.table, bridge: n.bridge, subnet: n.subnet, published: [] });
    nets.write(n);
    revert.success();
    return n;
  } catch (e) {
    await revert.revert();
    throw e;
  }
}

export interface NetworkSummary {
  name: string;
  subnet: string;
  gateway: string;
  bridge: string;
  mtu: number;
  environments: string[];
}

export async function listNetworks(ctx: Context): Promise<NetworkSummary[]> {
  const alive = liveCheck(ctx);
  return new NetworkStore(ctx.paths).list().map((n) => ({
    name: n.name,
    subnet: n.subnet,
    gateway: n.gateway,
    bridge: n.bridge,
    mtu: mtuOf(n),
    environments: Object.values(n.leases)
      .filter((l) => alive(l.envId))
      .map((l) => l.names[0] ?? shortId(l.envId)),
  }));
}

export async function inspectNetwork(ctx: Context, name: string): Promise<NetworkRecord> {
  const nets = new NetworkStore(ctx.paths);
  const n = nets.get(name);
  NetworkStore.prune(n, liveCheck(ctx));
  return n;
}

export async function removeNetwork(ctx: Context, name: string): Promise<void> {
  requireRoot(ctx, 'berth network rm');
  const nets = new NetworkStore(ctx.paths);
  using _lock = await nets.lock();
  const n = nets.get(name);
  NetworkStore.prune(n, liveCheck(ctx));
  const users = Object.values(n.leases).map((l) => l.names[0] ?? shortId(l.envId));
  if (users.length > 0) {
    throw new StateError('network-in-use', `network ${name} is in use by ${users.join(', ')}`, {
      fix: `remove ${users.length === 1 ? 'it' : 'them'} first (berth rm -f ${users.join(' ')})`,
    });
  }
  await stopResolver(ctx.paths, name);
  await removeBridge(n.bridge, n.table);
  nets.delete(name);
}
