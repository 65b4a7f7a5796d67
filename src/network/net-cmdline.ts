/**
 * Pure builders for the host tools that plumb networks: `ip -batch` scripts for bridges and
 * veth pairs, and argv for pasta and slirp4netns. Unit tests pin them; src/host/net runs them.
 */
import type { PortMapping } from '../core/port-format.js';

/** Device names are at most 15 bytes: derive short, stable ones from ids. */
export function vethName(envId: string): string {
  return `bv${envId.slice(0, 11)}`;
}

/** A VM's host-side tap device on a bridge network (its guest side is the VM's own NIC). */
export function tapName(envId: string): string {
  return `bt${envId.slice(0, 11)}`;
}

/**
 * The MAC of an environment's interface on a bridge network (a container's veth end, a VM's NIC):
 * locally administered, from its address (unique on the network, and the same whenever the address
 * is given again, as Docker does with 02:42:...). QEMU would give every VM 52:54:00:12:34:56.
 */
export function guestMac(ip: string): string {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new RangeError(`${ip} is not an IPv4 address`);
  return ['02', 'b7', ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}

export const GUEST_IFNAME = 'eth0';

/**
 * A bridge network's MTU unless `--mtu` says otherwise: 65520, as pasta and slirp4netns use, so
 * TCP between environments and the host moves in 64 KiB segments as over loopback (measured here:
 * ~2000 MB/s at 1500, ~5000 MB/s at 65520, loopback ~5100). TCP out through NAT follows the
 * remote's MSS; a uml guest stays at 1500, its network driver's maximum.
 */
export const DEFAULT_NETWORK_MTU = 65520;

export const MAX_NETWORK_MTU = 65520;

export function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > MAX_NETWORK_MTU)
    throw new RangeError(`MTU ${mtu} is not between 1280 and ${MAX_NETWORK_MTU}`);
  return mtu;
}

export function bridgeCreateBatch(bridge: string, gatewayCidr: string, mtu: number): string {
  return [
    `link add ${bridge} mtu ${checkMtu(mtu)} type bridge`,
    `addr add ${gatewayCidr} dev ${bridge}`,
    `link set ${bridge} up`,
    '',
  ].join('\n');
}

/**
 * Host side: a veth pair whose guest end goes straight into the namespace of `pid`, with the MAC
 * of its address (guestMac): an address given again later keeps its MAC, so peers' ARP caches
 * stay right (with a random MAC, a peer that talked to the address's last holder sends to a MAC
 * no longer on the bridge until its ARP entry times out).
 */
export function vethCreateBatch(veth: string, bridge: string, pid: number, mac: string, mtu: number): string {
  const m = checkMtu(mtu);
  return [
    `link add ${veth} mtu ${m} type veth peer name ${GUEST_IFNAME} mtu ${m} address ${mac} netns ${pid}`,
    `link set ${veth} master ${bridge}`,
    `link set ${veth} up`,
    '',
  ].join('\n');
}

/**
 * Host side for a VM: a persistent tap on the bridge, which QEMU or the uml kernel opens by name;
 * `owner`: the unprivileged identity that may open it (root's uml kernel, ADR 0046).
 */
export function tapCreateBatch(tap: string, bridge: string, mtu: number, owner?: { uid: number; gid: number }): string {
  const who = owner ? ` user ${owner.uid} group ${owner.gid}` : '';
  return [
    `tuntap add dev ${tap} mode tap${who}`,
    `link set ${tap} mtu ${checkMtu(mtu)} master ${bridge}`,
    `link set ${tap} up`,
    '',
  ].join('\n');
}

/** Guest side (run inside the namespace): address, link up, default route. */
export function guestAddrBatch(ipCidr: string, gateway: string): string {
  return [
    `addr add ${ipCidr} dev ${GUEST_IFNAME}`,
    `link set ${GUEST_IFNAME} up`,
    `route add default via ${gateway}`,
    '',
  ].join('\n');
}

function pastaPort(p: PortMapping): string[] {
  return [p.protocol === 'tcp' ? '-t' : '-u', `${p.hostIp ? `${p.hostIp}/` : ''}${p.hostPort}:${p.guestPort}`];
}

/**
 * pasta attached to the namespaces of `pid` (rootless: it joins the user namespace that owns
 * the netns) or, as root, to the netns bind-mounted at `netnsFile` (root pasta cannot open
 * /proc/PID/ns/* once it dropped its capabilities; Podman passes a file the same way) keeping
 * its identity (--runas 0). It configures the interface like the host's (address, routes, DNS),
 * daemonizes once ready and writes its pid to pidFile. Only the ports asked for are forwarded
 * (`-t none -u none` otherwise: pasta would forward every port bound inside).
 */
export function pastaArgv(pid: number, pidFile: string, ports: PortMapping[], netnsFile?: string): string[] {
  const asRoot = netnsFile !== undefined;
  const tcp = ports.filter((p) => p.protocol === 'tcp');
  const udp = ports.filter((p) => p.protocol === 'udp');
  return [
    'pasta',
    '--config-net',
    '--quiet',
    '--pid',
    pidFile,
    ...(asRoot ? ['--runas', '0'] : []),
    ...(tcp.length > 0 ? tcp.flatMap(pastaPort) : ['-t', 'none']),
    ...(udp.length > 0 ? udp.flatMap(pastaPort) : ['-u', 'none']),
    '-T',
    'none',
    '-U',
    'none',
    ...(asRoot ? ['--netns', netnsFile] : [String(pid)]),
  ];
}

/** slirp4netns: tap0 with 10.0.2.100/24, DNS at 10.0.2.3; --ready-fd 3 says when it is up. */
export function slirp4netnsArgv(pid: number, apiSocket: string, rootless: boolean): string[] {
  return [
    'slirp4netns',
    '--configure',
    '--mtu=65520',
    '--disable-host-loopback',
    '--ready-fd=3',
    `--api-socket=${apiSocket}`,
    ...(rootless ? [`--userns-path=/proc/${pid}/ns/user`] : []),
    String(pid),
    'tap0',
  ];
}

/** The slirp4netns API request publishing one port. */
export function slirpHostFwd(p: PortMapping): string {
  return JSON.stringify({
    execute: 'add_hostfwd',
    arguments: { proto: p.protocol, host_addr: p.hostIp ?? '0.0.0.0', host_port: p.hostPort, guest_port: p.guestPort },
  });
}
