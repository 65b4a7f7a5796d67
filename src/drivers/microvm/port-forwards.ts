/**
 * `-p [IP:]HOST:GUEST[/tcp|udp]` for `--network user` (QEMU hostfwd). A small local parser:
 * no shared port-spec module exists on main yet (src/network/port-spec.ts would replace it).
 * Pure, plus `checkHostPortsFree`, which binds each host port once to refuse an occupied one
 * before QEMU starts (QEMU's own failure would come after the boot began).
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { SpecError } from '../../core/errors.js';
import type { PortForward } from './qemu-cmdline.js';

const PORT_RE = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

export function parsePortForward(spec: string): PortForward {
  const m = PORT_RE.exec(spec.trim());
  const bad = () => new SpecError('bad-publish', `invalid -p "${spec}"`, { fix: 'use -p HOST:GUEST, -p IP:HOST:GUEST or add /udp, e.g. -p 8080:80' });
  if (!m) throw bad();
  const hostPort = Number(m[2]);
  const guestPort = Number(m[3]);
  if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) throw bad();
  if (m[1] && m[1].split('.').some((o) => Number(o) > 255)) throw bad();
  return { proto: (m[4] as 'tcp' | 'udp' | undefined) ?? 'tcp', hostAddr: m[1] ?? '127.0.0.1', hostPort, guestPort };
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

