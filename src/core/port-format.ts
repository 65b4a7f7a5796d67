/** A published port as data, and its `-p` text form (kept apart: the hot path needs only this). */
export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** Host address to publish on; undefined means every local address. */
  hostIp?: string;
  /** 0 in a spec: a free port, picked when the environment is created (a record holds the picked one). */
  hostPort: number;
  guestPort: number;
  protocol: PortProtocol;
}

export function formatPort(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.guestPort}/${p.protocol}`;
}

/** Docker's `ps` PORTS text of a published port: `0.0.0.0:32768->80/tcp`. */
export function formatPublished(p: PortMapping): string {
  return `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.guestPort}/${p.protocol}`;
}

/** Docker's NetworkSettings.Ports: `{"80/tcp": [{HostIp, HostPort}]}`; EXPOSED ports without a binding are null. */
export function dockerPortBindings(
  ports: readonly PortMapping[],
  exposed: readonly string[] = [],
): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of exposed) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of ports) {
    (out[`${p.guestPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp ?? '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return out;
}
