/**
 * The network of an environment, loaded lazily: only environments that ask for `--network user`
 * (shim backends), a bridge network or `-p` pay for it.
 *  reserve(): before anything starts: address lease and host ports, checked for conflicts.
 *  attach():  once the environment's netns exists (shim --net-sync-fd), before the command:
 *             veth + address + NAT/DNAT rules + peers' hosts files + the network's resolver
 *             (started with its first member, stopped with its last: ../dns/), or pasta / slirp4netns.
 *  attachVm(): a VM on a bridge network, before its QEMU or uml kernel starts: a tap on the
 *             bridge (the guest sets its own address), NAT/DNAT rules, peers' hosts files.
 *  release(): on stop and rm (and rollback): helper stopped, lease and rules removed.
 * What was set up is recorded in <env>/network.json, which `inspect` shows.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { DriverError, SpecError } from '../../core/errors.js';
import { processStartTime } from '../../core/process-identity.js';
import { NetworkStore, mtuOf, type NetworkRecord } from '../network-store.js';
import { DEFAULT_BRIDGE } from '../../core/network-mode.js';
import { hostsFile } from '../hosts-file.js';
import { vethName, tapName, guestMac, GUEST_IFNAME } from '../net-cmdline.js';
import { ensureBridge, applyNft, attachVeth, attachTap, detachLink, hostSubnets } from '../plumbing/bridge-host.js';
import { probeUserNet, startUserNet, stopUserNet, unbindNetns } from '../plumbing/user-net.js';
import { runTool } from '../../host/net/tool.js';
import { checkPublishedPortsFree } from './host-ports.js';
import { readNetworkState, NETWORK_FILE, type NetworkState } from '../network-state.js';
import { memberResolvConf } from '../dns/dns-answer.js';
import { ensureResolver, stopResolver } from '../dns/resolver-process.js';

export type { NetworkState };
export { netSyncHandshake } from './net-sync.js';

function writeState(envDir: string, s: NetworkState): void {
  writeJsonAtomic(join(envDir, NETWORK_FILE), s, 0o644, false);
}

/** Leases of environments that are gone (removed, exited, never recorded) are free. */
function alive(store: EnvStore): (id: string) => boolean {
  return (id) => {
    if (!store.readRecord(id)) return false;
    const st = store.status(id).state;
    return st === 'created' || st === 'running' || st === 'paused';
  };
}

/** Auto-create the default `bridge` network on first use. */
async function defaultNetwork(nets: NetworkStore): Promise<NetworkRecord> {
  const existing = nets.read(DEFAULT_BRIDGE);
  if (existing) return existing;
  const n = nets.plan(DEFAULT_BRIDGE, undefined, await hostSubnets());
  await ensureBridge(n.bridge, `${n.gateway}/${n.subnet.split('/')[1]}`, mtuOf(n));
  await applyNft({ table: n.table, bridge: n.bridge, subnet: n.subnet, published: [] });
  nets.write(n);
  return n;
}

function nftOf(n: NetworkRecord) {
  return {
    table: n.table,
    bridge: n.bridge,
    subnet: n.subnet,
    published: Object.values(n.leases).flatMap((l) => l.ports.map((port) => ({ guestIp: l.ip, port }))),
  };
}

/** Rewrite every member's /etc/hosts in place (it is bind-mounted: the inode must stay). */
function refreshHosts(store: EnvStore, n: NetworkRecord): void {
  const leases = Object.values(n.leases);
  for (const l of leases) {
    const path = join(store.dirOf(l.envId), 'hosts');
    if (!existsSync(path)) continue;
    const rec = store.readRecord(l.envId);
    const self = rec?.hostname ?? l.names[0] ?? '';
    const peers = leases.map((p) => ({
      ip: p.ip,
      names: p.envId === l.envId ? p.names.filter((x) => x !== self) : p.names,
    }));
    writeFileSync(path, hostsFile(self, l.ip, peers));
  }
}

/** slirp4netns's API socket: unix socket paths stop at 107 bytes, so a short one when needed. */
function apiSocketPath(dir: string): string {
  const inDir = join(dir, 'slirp.sock');
  return inDir.length <= 100
    ? inDir
    : join(tmpdir(), `berth-slirp-${process.getuid?.() ?? 0}-${basename(dir).slice(0, 16)}.sock`);
}

const userNetFiles = (dir: string) => ({
  pidFile: join(dir, 'user-net.pid'),
  apiSocket: apiSocketPath(dir),
  netnsFile: join(dir, 'netns'),
});

/**
 * device: what the environment is plugged into the bridge with, a veth (shim backends) or a tap
 * (VMs); maxMtu: the most its interface takes (a uml guest: 1500), else the network's MTU.
 * The backend's validate() refused what cannot be (a bridge as a normal user, -p without a network).
 */
export async function reserve(
  store: EnvStore,
  rec: EnvRecord,
  device: 'veth' | 'tap' = 'veth',
  maxMtu?: number,
): Promise<void> {
  const mode = rec.spec.resolved.network;
  const dir = store.dirOf(rec.id);
  const ports = rec.spec.ports;
  if (mode.kind === 'none' || mode.kind === 'host') {
    writeState(dir, { mode: mode.kind, ports: [] });
    return;
  }
  if (mode.kind === 'user') {
    const probe = probeUserNet();
    if (!probe.tool) throw new DriverError('no-user-net', `--network user does not work here: ${probe.reason}`);
    if (ports.length > 0) await stopStaleHelpers(store);
    await checkPublishedPortsFree(ports);
    writeState(dir, { mode: 'user', tool: probe.tool, ports });
    return;
  }
  const nets = new NetworkStore(store.paths);
  using _lock = await nets.lock();
  const n = mode.network === DEFAULT_BRIDGE ? await defaultNetwork(nets) : nets.get(mode.network);
  NetworkStore.prune(n, alive(store));
  const clash = nets.conflicts(ports, alive(store), rec.id);
  if (clash) throw new SpecError('port-in-use', clash, { fix: 'choose another host port with -p' });
  await checkPublishedPortsFree(ports);
  const names = [...new Set([rec.name, rec.hostname])];
  const lease = NetworkStore.allocate(n, rec.id, names, ports, device === 'tap' ? tapName(rec.id) : vethName(rec.id));
  nets.write(n);
  const prefix = Number(n.subnet.split('/')[1]);
  const link = device === 'tap' ? { tap: lease.veth, mac: guestMac(lease.ip) } : { veth: lease.veth };
  const mtu = Math.min(mtuOf(n), maxMtu ?? Infinity);
  writeState(dir, {
    mode: 'bridge',
    network: n.name,
    interface: GUEST_IFNAME,
    ip: lease.ip,
    prefix,
    gateway: n.gateway,
    ports,
    ...link,
    bridge: n.bridge,
    mtu,
  });
  // A container's /etc/resolv.conf (a VM's comes from berth.net=): the network's resolver.
  if (device === 'veth') writeFileSync(join(dir, 'resolv.conf'), memberResolvConf(n.gateway));
}

/**
 * pasta outlives a command that exited on its own (it does not watch the namespace), holding its
 * published ports until `stop`/`rm`: stop such helpers of exited environments before ports are
 * checked, so an exited environment's port is free again, as a bridge lease is.
 */
async function stopStaleHelpers(store: EnvStore): Promise<void> {
  for (const r of store.list()) {
    if (alive(store)(r.id)) continue;
    const st = readNetworkState(store.dirOf(r.id));
    if (st?.mode === 'user' && st.helperPid) await stopUserNet(st.helperPid, st.helperStart);
  }
}

/** Ask the namespace of pid for its first non-loopback IPv4 address (pasta copies the host's). */
async function addressIn(
  pid: number,
  rootless: boolean,
): Promise<{ iface?: string; ip?: string; prefix?: number; gateway?: string }> {
  const enter = ['nsenter', '-t', String(pid), ...(rootless ? ['-U', '--preserve-credentials'] : []), '-n'];
  const a = await runTool([...enter, 'ip', '-j', '-4', 'addr', 'show']);
  const r = await runTool([...enter, 'ip', '-j', '-4', 'route', 'show', 'default']);
  try {
    const links = JSON.parse(a.stdout) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
    const l = links.find((x) => x.ifname !== 'lo' && x.addr_info.length > 0);
    const routes = JSON.parse(r.stdout || '[]') as { gateway?: string }[];
    return {
      iface: l?.ifname,
      ip: l?.addr_info[0]?.local,
      prefix: l?.addr_info[0]?.prefixlen,
      gateway: routes[0]?.gateway,
    };
  } catch {
    return {};
  }
}

export async function attach(store: EnvStore, rec: EnvRecord, pid: number, rootless: boolean): Promise<void> {
  const dir = store.dirOf(rec.id);
  const st = readNetworkState(dir);
  if (!st) throw new DriverError('no-network-state', `environment ${rec.name} has no network reservation`);
  if (st.mode === 'user') {
    if (st.tool !== 'pasta' && st.tool !== 'slirp4netns')
      throw new DriverError(
        'bad-network-state',
        `environment ${rec.name} records user network tool ${st.tool ?? 'none'}, which is not a namespace helper`,
      );
    const h = await startUserNet(st.tool, pid, userNetFiles(dir), st.ports, rootless);
    st.helperPid = h.pid;
    const start = processStartTime(h.pid);
    if (start !== undefined) st.helperStart = start;
    writeState(dir, st);
    const found = await addressIn(pid, rootless);
    if (found.iface) st.interface = found.iface;
    if (found.ip) st.ip = found.ip;
    if (found.prefix !== undefined) st.prefix = found.prefix;
    if (found.gateway) st.gateway = found.gateway;
    if (st.tool === 'slirp4netns') writeFileSync(join(dir, 'resolv.conf'), 'nameserver 10.0.2.3\n');
    writeState(dir, st);
    return;
  }
  if (st.mode !== 'bridge') return;
  await plugIntoBridge(store, rec, st, (n) =>
    attachVeth(st.veth!, n.bridge, pid, `${st.ip}/${st.prefix}`, n.gateway, guestMac(st.ip!), st.mtu ?? mtuOf(n)),
  );
}

/** A VM on a bridge network: its tap, before the VM starts. Nothing to do for other modes. */
export async function attachVm(
  store: EnvStore,
  rec: EnvRecord,
  tapOwner?: { uid: number; gid: number },
): Promise<void> {
  const st = readNetworkState(store.dirOf(rec.id));
  if (st?.mode !== 'bridge') return;
  if (!st.tap)
    throw new DriverError(
      'bad-network-state',
      `environment ${rec.name} records no tap device for network ${st.network ?? '?'}`,
    );
  await plugIntoBridge(store, rec, st, (n) => attachTap(st.tap!, n.bridge, st.mtu ?? mtuOf(n), tapOwner));
}

/**
 * Why a stopped environment cannot take its address on network `net` again: its network state
 * records none (`ip` undefined), or another environment (`holder`) holds it now. Pure.
 */
export function retakeRefusal(env: string, net: string, ip: string | undefined, holder: string): SpecError {
  const start = `environment ${env} cannot start again on network ${net}`;
  if (!ip)
    return new SpecError('address-unknown', `${start}: its network state records no address`, {
      fix: `remove it (berth rm ${env}) and run a new environment`,
    });
  return new SpecError('address-taken', `${start}: its address ${ip} is now ${holder}'s`, {
    fix: 'run a new environment, or remove the one that took the address',
  });
}

/**
 * A start after a stop (restart): stop gave the lease back, and the environment's interface,
 * a VM's kernel command line included, keeps the address it had. Take that address and the
 * published ports again, or refuse when another environment took them meanwhile. The caller
 * holds the lock and writes n.
 */
async function retakeLease(
  store: EnvStore,
  nets: NetworkStore,
  n: NetworkRecord,
  rec: EnvRecord,
  st: NetworkState,
): Promise<void> {
  NetworkStore.prune(n, alive(store));
  const holder = Object.values(n.leases).find((l) => l.ip === st.ip);
  if (!st.ip || holder)
    throw retakeRefusal(rec.name, n.name, st.ip, holder?.names[0] ?? holder?.envId.slice(0, 12) ?? '');
  const clash = nets.conflicts(st.ports, alive(store), rec.id);
  if (clash) throw new SpecError('port-in-use', clash, { fix: 'choose another host port with -p' });
  // No host-port probe here: a container's new monitor already holds its ports by now, and a
  // port a host program took meanwhile fails the monitor's own hold (ADR 0078).
  const link = st.veth ?? st.tap ?? vethName(rec.id);
  n.leases[rec.id] = {
    envId: rec.id,
    ip: st.ip,
    names: [...new Set([rec.name, rec.hostname])],
    ports: st.ports,
    veth: link,
  };
}

async function plugIntoBridge(
  store: EnvStore,
  rec: EnvRecord,
  st: NetworkState,
  plug: (n: NetworkRecord) => Promise<void>,
): Promise<void> {
  const nets = new NetworkStore(store.paths);
  using _lock = await nets.lock();
  const n = nets.get(st.network!);
  if (!n.leases[rec.id]) await retakeLease(store, nets, n, rec, st);
  await ensureBridge(n.bridge, `${n.gateway}/${st.prefix}`, mtuOf(n));
  await plug(n);
  NetworkStore.prune(n, (id) => id === rec.id || alive(store)(id));
  await applyNft(nftOf(n));
  nets.write(n);
  refreshHosts(store, n);
  await ensureResolver(store.paths, n.name, n.gateway);
}

/** Undo attach() and reserve(); safe to call twice, after a crash, or for what never started. */
export async function release(store: EnvStore, envId: string): Promise<void> {
  const dir = store.dirOf(envId);
  const st = readNetworkState(dir);
  if (!st) return;
  if (st.mode === 'user') {
    if (st.helperPid) await stopUserNet(st.helperPid, st.helperStart);
    await unbindNetns(userNetFiles(dir).netnsFile);
    rmSync(userNetFiles(dir).apiSocket, { force: true });
    return;
  }
  if (st.mode !== 'bridge' || !st.network) return;
  const nets = new NetworkStore(store.paths);
  using _lock = await nets.lock();
  const link = st.veth ?? st.tap;
  if (link) await detachLink(link);
  const n = nets.read(st.network);
  if (!n) return;
  delete n.leases[envId];
  NetworkStore.prune(n, (id) => id !== envId && alive(store)(id));
  nets.write(n);
  try {
    await applyNft(nftOf(n));
  } catch {
    /* the bridge or nft may be gone after a reboot; the next attach rewrites the table */
  }
  refreshHosts(store, n);
  if (Object.keys(n.leases).length === 0) await stopResolver(store.paths, n.name);
}
