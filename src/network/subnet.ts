/** IPv4 addresses and CIDR subnets as plain numbers: parse, overlap, the n-th address. Pure. */
import { SpecError } from '../core/errors.js';

export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x, i) => x > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

const FIX = 'use an IPv4 CIDR like 10.90.0.0/24 (prefix 8 to 29, host bits zero)';

export function parseSubnet(s: string): Subnet {
  const [addr, len, ...rest] = s.split('/');
  const base = parseIpv4(addr ?? '');
  if (base === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) {
    throw new SpecError('bad-subnet', `invalid subnet "${s}"`, { fix: FIX });
  }
  const prefix = Number(len);
  if (prefix < 8 || prefix > 29)
    throw new SpecError('bad-subnet', `subnet "${s}": prefix /${prefix} is outside /8 to /29`, { fix: FIX });
  if ((base & ~mask(prefix)) >>> 0 !== 0)
    throw new SpecError(
      'bad-subnet',
      `subnet "${s}" has host bits set (did you mean ${formatIpv4((base & mask(prefix)) >>> 0)}/${prefix}?)`,
      { fix: FIX },
    );
  if (base >>> 24 === 127) throw new SpecError('bad-subnet', `subnet "${s}" is loopback`, { fix: FIX });
  return { base, prefix };
}

export function formatSubnet(n: Subnet): string {
  return `${formatIpv4(n.base)}/${n.prefix}`;
}

export function size(n: Subnet): number {
  return 2 ** (32 - n.prefix);
}

export function contains(n: Subnet, ip: number): boolean {
  return (ip & mask(n.prefix)) >>> 0 === n.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** The bridge's own address: the first host address. */
export function gatewayOf(n: Subnet): number {
  return n.base + 1;
}

/** The lowest address for an environment not in `taken` (gateway and broadcast excluded). */
export function firstFree(n: Subnet, taken: Iterable<number>): number | undefined {
  const used = new Set(taken);
  for (let ip = n.base + 2; ip < n.base + size(n) - 1; ip++) if (!used.has(ip)) return ip;
  return undefined;
}

/** The first /24 of 10.89.0.0/16 that overlaps none of `used` (for `network create` without --subnet). */
export function pickSubnet(used: Subnet[]): Subnet | undefined {
  for (let i = 0; i < 256; i++) {
    const cand: Subnet = { base: parseIpv4(`10.89.${i}.0`)!, prefix: 24 };
    if (!used.some((u) => overlaps(u, cand))) return cand;
  }
  return undefined;
}
