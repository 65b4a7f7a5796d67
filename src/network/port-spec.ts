/**
 * `-p [IP:]HOST:GUEST[/tcp|udp]`: one pure parser for every backend (container and chroot
 * today; uml and microvm reuse it). HOST and GUEST are ports 1-65535; IP is an IPv4 address
 * of the host to listen on (absent: every local address).
 */
import { SpecError } from '../core/errors.js';
import { parseIpv4 } from './subnet.js';

import type { PortMapping, PortProtocol } from '../core/port-format.js';

export type { PortMapping, PortProtocol };

const FIX = 'use -p [IP:]HOST:GUEST[/tcp|udp], e.g. -p 8080:80 or -p 127.0.0.1:5353:53/udp';

function port(s: string, spec: string, what: string): number {
  if (!/^\d{1,5}$/.test(s))
    throw new SpecError('bad-port', `invalid -p "${spec}": ${what} port "${s}" is not a number`, { fix: FIX });
  const n = Number(s);
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
  if (parts.length < 2 || parts.length > 3)
    throw new SpecError('bad-port', `invalid -p "${spec}": expected HOST:GUEST with an optional IP: before it`, {
      fix: FIX,
    });
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

/** Whether two mappings need the same host port (an unset address overlaps every address). */
export function portsClash(a: PortMapping, b: PortMapping): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp)
  );
}

export { formatPort } from '../core/port-format.js';
