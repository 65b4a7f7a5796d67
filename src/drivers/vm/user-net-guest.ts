/**
 * The guest side of `--network user` on the VM backends. QEMU's user networking (microvm) and
 * slirp (uml) both put the guest at 10.0.2.15/24 behind a gateway at 10.0.2.2 (which is the
 * host's loopback seen from the guest) and a DNS forwarder at 10.0.2.3; the guest init takes
 * them from its `berth.net=` kernel argument.
 */
import type { PortMapping } from '../../core/port-format.js';
import type { NetworkState } from '../../network/network-state.js';

export const USER_NET_GUEST = { address: '10.0.2.15', prefix: 24, gateway: '10.0.2.2', dns: '10.0.2.3' } as const;

export const USER_NET_ARG = `berth.net=${USER_NET_GUEST.address}/${USER_NET_GUEST.prefix},${USER_NET_GUEST.gateway},${USER_NET_GUEST.dns}`;

/** What `inspect` shows of a VM's `--network user` (written to the environment's network.json). */
export function userNetState(tool: 'slirp' | 'qemu', ports: PortMapping[]): NetworkState {
  const g = USER_NET_GUEST;
  return { mode: 'user', interface: 'eth0', ip: g.address, prefix: g.prefix, gateway: g.gateway, ports, tool };
}
