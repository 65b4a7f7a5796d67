/**
 * berth's one host-port probe: bind each host port of `-p` once (exclusively), to refuse an
 * occupied one before anything starts (pasta's, QEMU's or slirp's own failure would come later).
 * Used by network attachment (shim backends, bridges) and by the VM backends.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { SpecError } from '../../core/errors.js';
import { formatPort, type PortMapping } from '../port-spec.js';

export interface HostPort {
  proto: 'tcp' | 'udp';
  /** Absent: every local address. */
  hostAddr?: string;
  hostPort: number;
}

/** Bind once: undefined when the port is free, else the bind error. */
function tryBind(proto: 'tcp' | 'udp', addr: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((res) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', (e) => {
        s.close();
        res(e);
      });
      s.bind({ address: addr, port, exclusive: true }, () => s.close(() => res(undefined)));
    } else {
      const s = createServer();
      s.once('error', (e) => res(e));
      s.listen({ host: addr, port, exclusive: true }, () => s.close(() => res(undefined)));
    }
  });
}

/** Throw the one-line error for a host port that cannot be bound; `label` is how the user wrote it. */
async function probe(p: HostPort, label: string): Promise<void> {
  const addr = p.hostAddr ?? '0.0.0.0';
  const e = await tryBind(p.proto, addr, p.hostPort);
  if (!e) return;
  const why =
    e.code === 'EADDRINUSE'
      ? 'is already in use on this host'
      : e.code === 'EADDRNOTAVAIL'
        ? `cannot be bound: ${addr} is not an address of this host`
        : `cannot be bound (${e.code ?? e.message})`;
  throw new SpecError('port-in-use', `host port ${label} ${why}`, {
    fix: 'choose another host port with -p, or stop what listens there',
  });
}

/** Host ports of a VM's forwards (labelled ADDR:PORT/PROTO). */
export async function checkHostPortsFree(ports: HostPort[]): Promise<void> {
  for (const p of ports) await probe(p, `${p.hostAddr ?? '0.0.0.0'}:${p.hostPort}/${p.proto}`);
}

/** Host ports of `-p` mappings (labelled as `-p` writes them). */
export async function checkPublishedPortsFree(ports: PortMapping[]): Promise<void> {
  for (const p of ports) {
    await probe(
      { proto: p.protocol, hostPort: p.hostPort, ...(p.hostIp ? { hostAddr: p.hostIp } : {}) },
      formatPort(p),
    );
  }
}
