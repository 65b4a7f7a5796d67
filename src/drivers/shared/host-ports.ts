/**
 * `-p` for the microvm's `--network user` (QEMU hostfwd): the shared parse (src/network/port-spec.ts)
 * turned into forwards, plus `checkHostPortsFree`, which binds each host port once to refuse an
 * occupied one before QEMU starts (QEMU's own failure would come after the boot began).
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { SpecError } from '../../core/errors.js';
import type { PortMapping } from '../../network/port-format.js';
import type { PortForward } from './qemu-cmdline.js';

/** `-p` as parsed by src/network/port-spec.ts -> a QEMU hostfwd; no address = every local one, as on the other backends. */
export function toPortForward(p: PortMapping): PortForward {
  return { proto: p.protocol, hostAddr: p.hostIp ?? '0.0.0.0', hostPort: p.hostPort, guestPort: p.guestPort };
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
    s.once('error', () => { s.close(); res(false); });
    s.bind({ address: addr, port, exclusive: true }, () => s.close(() => res(true)));
  });
}

export async function checkHostPortsFree(fwds: PortForward[]): Promise<void> {
  for (const f of fwds) {
    const addr = f.hostAddr ?? '127.0.0.1';
    const free = f.proto === 'udp' ? await udpFree(addr, f.hostPort) : await tcpFree(addr, f.hostPort);
    if (!free) {
      throw new SpecError('port-in-use', `host port ${addr}:${f.hostPort}/${f.proto} is already in use`, { fix: 'pick another host port for -p, or stop what listens there' });
    }
  }
}

