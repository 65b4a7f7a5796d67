/** A published port as data, and its `-p` text form (kept apart: the hot path needs only this). */
export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** Host address to publish on; undefined means every local address. */
  hostIp?: string;
  hostPort: number;
  guestPort: number;
  protocol: PortProtocol;
}

export function formatPort(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.guestPort}/${p.protocol}`;
}
