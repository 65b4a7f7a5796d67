/**
 * Networks of the VM backends (uml, microvm), one concept with the shim backends'
 * (docs/adr/0025): none (the guest's loopback), user (the backend's own user-mode stack:
 * QEMU's or slirp), and as root a bridge network (`bridge` or a name from `berth network
 * create`), where the VM's NIC is a tap on the berth bridge, leased an address from the same
 * subnet and hosts files as containers, with NAT out and `-p` as nftables DNAT.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedSpec } from '../../core/resolved-spec.js';
import type { EnvRecord, EnvStore } from '../../core/env-store.js';
import { readNetworkState } from '../../network/network-state.js';
import { hostsFile } from '../../network/hosts-file.js';
import { reachableNameserver } from '../../network/resolv.js';
import { DriverError } from '../../core/errors.js';

/** The host-side file a VM's /etc/hosts is copied from (vm-hosts-sync.ts). */
export const VM_HOSTS_FILE = 'hosts';

/** A VM's NIC on a bridge network: the tap its VM process opens, its MAC, the guest init's berth.net= argument. */
export interface VmBridge {
  tap: string;
  mac: string;
  /** Of the tap and the guest's NIC: the network's, or less when the VM's driver takes less. */
  mtu: number;
  guestArg: string;
}

const attachModule = () => import('../../network/attach/network-attach.js');

/**
 * Before anything is built: lease an address on the bridge network, check -p, and write the
 * environment's hosts file. Undone by releaseVmNetwork.
 */
export async function reserveVmBridge(store: EnvStore, rec: EnvRecord, maxMtu: number): Promise<VmBridge> {
  await (await attachModule()).reserve(store, rec, 'tap', maxMtu);
  const dir = store.dirOf(rec.id);
  const st = readNetworkState(dir);
  if (!st?.tap || !st.mac || !st.ip || st.prefix === undefined || !st.gateway) {
    throw new DriverError(
      'bad-network-state',
      `environment ${rec.name} got no complete lease on network ${st?.network ?? '?'}`,
    );
  }
  writeFileSync(join(dir, VM_HOSTS_FILE), hostsFile(rec.hostname, st.ip, []));
  let dns: string | undefined;
  try {
    dns = reachableNameserver(readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    /* none */
  }
  const mtu = st.mtu ?? 1500;
  // ADDR/PREFIX,GATEWAY,DNS,MTU (DNS may be empty): native/init/net.c.
  return {
    tap: st.tap,
    mac: st.mac,
    mtu,
    guestArg: `berth.net=${st.ip}/${st.prefix},${st.gateway},${dns ?? ''},${mtu}`,
  };
}

/**
 * A bridge network's lease first (a taken port or an unknown network is refused before a disk is
 * built), given back if building the rest fails; `build` gets the VM's NIC, if any.
 */
export async function withVmBridge<T>(
  store: EnvStore,
  env: { id: string; spec: ResolvedSpec },
  maxMtu: number,
  build: (bridge: VmBridge | undefined) => Promise<T>,
): Promise<T> {
  const rec = env.spec.resolved.network.kind === 'bridge' ? store.readRecord(env.id) : undefined;
  const bridge = rec ? await reserveVmBridge(store, rec, maxMtu) : undefined;
  try {
    return await build(bridge);
  } catch (e) {
    if (bridge) await releaseVmNetwork(store, env.id).catch(() => undefined);
    throw e;
  }
}

/** Before the VM process starts: its tap on the bridge, rules and peers' names (nothing for other modes). */
export async function attachVmNetwork(
  store: EnvStore,
  rec: EnvRecord,
  tapOwner?: { uid: number; gid: number },
): Promise<void> {
  if (readNetworkState(store.dirOf(rec.id))?.mode !== 'bridge') return;
  await (await attachModule()).attachVm(store, rec, tapOwner);
}

/** On stop, rm and rollback: the tap, the lease, the DNAT rules and the peers' entries go. */
export async function releaseVmNetwork(store: EnvStore, envId: string): Promise<void> {
  if (readNetworkState(store.dirOf(envId))?.mode !== 'bridge') return;
  await (await attachModule()).release(store, envId);
}
