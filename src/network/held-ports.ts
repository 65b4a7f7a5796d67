/**
 * A bridge network's `-p` host ports, as the environment's monitor holds them: bound for its whole
 * life (native/common/holdports.c; the Node VM monitor: vm-held-ports.ts), so no other program
 * takes a port whose traffic is DNATed to the environment, as Docker and Podman hold theirs.
 * Other modes need no hold: pasta, slirp, QEMU and uml's relay listen on their ports. Pure.
 */
import type { NetworkMode } from '../core/network-mode.js';
import type { PortMapping } from '../core/port-format.js';

/** `PROTO:ADDR:PORT` for each port the monitor must hold (none unless on a bridge network). */
export function heldPorts(mode: NetworkMode, ports: PortMapping[]): string[] {
  if (mode.kind !== 'bridge') return [];
  return ports.map((p) => `${p.protocol}:${p.hostIp ?? '0.0.0.0'}:${p.hostPort}`);
}
