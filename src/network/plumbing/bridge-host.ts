/**
 * Bridge networks in the network namespace berth runs in: the bridge device, its nftables
 * table, and one veth pair per environment. Every step is idempotent, so a rebooted host (the
 * bridge gone, the record kept) or a crashed run is repaired by the next use.
 */
import { writeFileSync } from 'node:fs';
import { mustRun, runTool } from '../../host/net/tool.js';
import { bridgeCreateBatch, vethCreateBatch, guestAddrBatch, tapCreateBatch, checkMtu } from '../net-cmdline.js';
import { nftRuleset, nftDeleteTable, type NftNetwork } from '../nft-ruleset.js';

const FIX_ROOT = 'bridge networks need root (rootless: --network user)';

export async function linkExists(name: string): Promise<boolean> {
  return (await runTool(['ip', 'link', 'show', 'dev', name])).code === 0;
}

function sysctl(path: string, value: string): void {
  writeFileSync(`/proc/sys/net/${path}`, value);
}

/** The bridge with its gateway address and MTU, forwarding on, route_localnet on the bridge only. */
export async function ensureBridge(bridge: string, gatewayCidr: string, mtu: number): Promise<void> {
  if (!(await linkExists(bridge)))
    await mustRun(
      `creating bridge ${bridge}`,
      ['ip', '-batch', '-'],
      bridgeCreateBatch(bridge, gatewayCidr, mtu),
      FIX_ROOT,
    );
  else
    await mustRun(`setting the MTU of bridge ${bridge}`, [
      'ip',
      'link',
      'set',
      'dev',
      bridge,
      'mtu',
      String(checkMtu(mtu)),
    ]);
  // NAT out needs forwarding in this network namespace (as Docker and Podman do).
  sysctl('ipv4/ip_forward', '1');
  // Published ports DNAT 127.0.0.1 to the bridge: allowed for this device only.
  sysctl(`ipv4/conf/${bridge}/route_localnet`, '1');
}

export async function removeBridge(bridge: string, table: string): Promise<void> {
  await runTool(['nft', '-f', '-'], nftDeleteTable(table));
  if (await linkExists(bridge)) await mustRun(`removing bridge ${bridge}`, ['ip', 'link', 'del', 'dev', bridge]);
}

export async function applyNft(n: NftNetwork): Promise<void> {
  await mustRun(
    `nftables table ${n.table}`,
    ['nft', '-f', '-'],
    nftRuleset(n),
    'is nftables available (nft) and are you root?',
  );
}

/** Plug the environment whose netns holds `pid` into the bridge and give it its address. */
export async function attachVeth(
  veth: string,
  bridge: string,
  pid: number,
  ipCidr: string,
  gateway: string,
  mac: string,
  mtu: number,
): Promise<void> {
  await runTool(['ip', 'link', 'del', 'dev', veth]); // a leftover of a crashed attach
  await mustRun(`creating veth ${veth}`, ['ip', '-batch', '-'], vethCreateBatch(veth, bridge, pid, mac, mtu));
  await mustRun(
    'configuring the environment interface',
    ['nsenter', '-t', String(pid), '-n', 'ip', '-batch', '-'],
    guestAddrBatch(ipCidr, gateway),
  );
}

/** Plug a VM into the bridge: a tap its QEMU or uml kernel opens by name (the guest sets its own address). */
export async function attachTap(
  tap: string,
  bridge: string,
  mtu: number,
  owner?: { uid: number; gid: number },
): Promise<void> {
  await runTool(['ip', 'link', 'del', 'dev', tap]); // a leftover of a crashed attach
  await mustRun(`creating tap ${tap}`, ['ip', '-batch', '-'], tapCreateBatch(tap, bridge, mtu, owner));
}

/** A veth is gone already when the namespace died; a tap stays until deleted. Removes what is left. */
export async function detachLink(name: string): Promise<void> {
  await runTool(['ip', 'link', 'del', 'dev', name]);
}

/** IPv4 subnets of addresses in this network namespace (to refuse overlapping berth subnets). */
export async function hostSubnets(): Promise<{ dev: string; cidr: string }[]> {
  const r = await runTool(['ip', '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) return [];
  const out: { dev: string; cidr: string }[] = [];
  for (const l of JSON.parse(r.stdout) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[]) {
    for (const a of l.addr_info ?? []) out.push({ dev: l.ifname, cidr: `${a.local}/${a.prefixlen}` });
  }
  return out;
}
