/**
 * `-p [IP:][HOST:]GUEST[/tcp|udp]`: one pure parser for every backend. GUEST is a port 1-65535;
 * HOST is one too, or 0, empty or left out for a free port the host picks when the environment is
 * created (Docker's `-p 80`, `-p 0:80`, `-p 127.0.0.1::80`; host-ports.ts `pickFreeHostPorts`);
 * IP is an IPv4 address of the host to listen on (absent: every local address).
 */
import { SpecError } from '../core/errors.js';
import { parseIpv4 } from './subnet.js';

import type { PortMapping, PortProtocol } from '../core/port-format.js';

export type { PortMapping, PortProtocol };

const FIX = 'use -p [IP:][HOST:]GUEST[/tcp|udp], e.g. -p 8080:80, -p 80 (a free host port) or -p 127.0.0.1:5353:53/udp';

/** A port 1-65535; for the host side also 0 or empty: a free port picked at creation (0). */
function port(s: string, spec: string, what: 'host' | 'guest'): number {
  if (what === 'host' && s === '') return 0;
  if (!/^\d{1,5}$/.test(s))
    throw new SpecError('bad-port', `invalid -p "${spec}": ${what} port "${s}" is not a number`, { fix: FIX });
  const n = Number(s);
  if (what === 'host' && n === 0) return 0;
  if (n < 1 || n > 65535)
    throw new SpecError('bad-port', `invalid -p "${spec}": ${what} port ${n} is out of range 1-65535`, { fix: FIX });
  return n;
}

export function parsePortSpec(spec: string): PortMapping {
  let body = spec;
  let protocol: PortProtocol = 'tcp';
  const slash = body.lastIndexOf('/');
  if (slash >= 0) {
    const p = body.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp')
      throw new SpecError('bad-port', `invalid -p "${spec}": protocol "${p}" is neither tcp nor udp`, { fix: FIX });
    protocol = p;
    body = body.slice(0, slash);
  }
  const parts = body.split(':');
  if (parts.length > 3 || body === '')
    throw new SpecError('bad-port', `invalid -p "${spec}": expected [IP:][HOST:]GUEST`, { fix: FIX });
  if (parts.length === 1) parts.unshift('');
  const out: PortMapping = { hostPort: 0, guestPort: 0, protocol };
  if (parts.length === 3) {
    const ip = parts[0]!;
    if (parseIpv4(ip) === undefined)
      throw new SpecError('bad-port', `invalid -p "${spec}": "${ip}" is not an IPv4 address`, { fix: FIX });
    out.hostIp = ip;
  }
  out.hostPort = port(parts[parts.length - 2]!, spec, 'host');
  out.guestPort = port(parts[parts.length - 1]!, spec, 'guest');
  return out;
}

/** Parse every -p and refuse two that claim the same host address, port and protocol. */
export function parsePortSpecs(specs: string[]): PortMapping[] {
  const out = specs.map(parsePortSpec);
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < i; j++) {
      if (portsClash(out[i]!, out[j]!)) {
        throw new SpecError('port-twice', `-p ${specs[j]} and -p ${specs[i]} publish the same host port`, {
          fix: 'publish each host port once',
        });
      }
    }
  }
  return out;
}

/** Whether two mappings need the same host port (an unset address overlaps every address; 0 is picked apart). */
export function portsClash(a: PortMapping, b: PortMapping): boolean {
  return (
    a.hostPort !== 0 &&
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp)
  );
}

export { formatPort } from '../core/port-format.js';
