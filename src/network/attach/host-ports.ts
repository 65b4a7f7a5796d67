/**
 * `checkHostPortsFree` binds each host port of a VM's `-p` once, to refuse an occupied one
 * before the VM starts (QEMU's or slirp's own failure would come after the boot began).
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { SpecError } from '../../core/errors.js';

export interface HostPort {
  proto: 'tcp' | 'udp';
  /** Absent: every local address. */
  hostAddr?: string;
  hostPort: number;
}

function tcpFree(addr: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen({ host: addr, port, exclusive: true }, () => s.close(() => res(true)));
  });
}

function udpFree(addr: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      res(false);
    });
    s.bind({ address: addr, port, exclusive: true }, () => s.close(() => res(true)));
  });
}

export async function checkHostPortsFree(ports: HostPort[]): Promise<void> {
  for (const f of ports) {
    const addr = f.hostAddr ?? '0.0.0.0';
    const free = f.proto === 'udp' ? await udpFree(addr, f.hostPort) : await tcpFree(addr, f.hostPort);
    if (!free) {
      throw new SpecError('port-in-use', `host port ${addr}:${f.hostPort}/${f.proto} is already in use`, {
        fix: 'pick another host port for -p, or stop what listens there',
      });
    }
  }
}
