/**
 * berth's one host-port probe: bind each host port of `-p` once (exclusively), to refuse an
 * occupied one before anything starts (pasta's, QEMU's or slirp's own failure would come later).
 * Used by network attachment (shim backends, bridges) and by the VM backends. Also where a `-p`
 * without a host port (0) gets a free one, when the environment is created.
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

/** Bind port 0 (the kernel picks a free one) and keep the socket open: the caller closes it. */
function bindAny(proto: 'tcp' | 'udp', addr: string): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((res, rej) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', rej);
      s.bind({ address: addr, port: 0, exclusive: true }, () =>
        res({ port: s.address().port, close: () => new Promise((done) => s.close(() => done())) }),
      );
      return;
    }
    const s = createServer();
    s.once('error', rej);
    s.listen({ host: addr, port: 0, exclusive: true }, () => {
      const a = s.address();
      res({
        port: typeof a === 'object' && a ? a.port : 0,
        close: () => new Promise((done) => s.close(() => done())),
      });
    });
  });
}

/**
 * Each mapping with host port 0 (`-p 80`, `-p 0:80`) gets a free host port, as Docker's do: the
 * kernel picks one on the mapping's address. The sockets stay open until all are picked, so no two
 * picks are the same, and a pick equal to a port asked for by number is passed over.
 */
export async function pickFreeHostPorts(ports: PortMapping[]): Promise<PortMapping[]> {
  if (ports.every((p) => p.hostPort !== 0)) return ports;
  const held: { close: () => Promise<void> }[] = [];
  const taken = new Set(ports.filter((p) => p.hostPort !== 0).map((p) => `${p.protocol}/${p.hostPort}`));
  try {
    const out: PortMapping[] = [];
    for (const p of ports) {
      if (p.hostPort !== 0) {
        out.push(p);
        continue;
      }
      let pick: { port: number; close: () => Promise<void> };
      try {
        for (;;) {
          pick = await bindAny(p.protocol, p.hostIp ?? '0.0.0.0');
          held.push(pick);
          if (!taken.has(`${p.protocol}/${pick.port}`)) break;
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        throw new SpecError('port-in-use', `no free host port for -p ${formatPort(p)}: ${code}`, {
          fix: 'give the host port yourself (-p [IP:]HOST:GUEST), with an address of this host',
        });
      }
      taken.add(`${p.protocol}/${pick.port}`);
      out.push({ ...p, hostPort: pick.port });
    }
    return out;
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}
