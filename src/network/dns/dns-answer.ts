/**
 * What a bridge network's resolver answers (docs/adr/0047-network-dns.md). Pure: a decoded query
 * and the network's members in, a decoded answer (or "forward it") out.
 *  - A of a member's name (its --name, hostname): its leased address; AAAA of one: no data.
 *  - PTR of a member's address: its first name.
 *  - any other single-label name: NXDOMAIN here (no upstream resolver knows a bare name).
 *  - any other name: forwarded to the host's resolvers.
 */
import type { Packet, Question } from 'dns-packet';

export interface DnsMember {
  ip: string;
  names: string[];
}

/** Answers are fresh: a member that leaves is gone at once (as aardvark-dns, a short TTL). */
export const MEMBER_TTL = 5;

export type DnsDecision = { kind: 'answer'; response: Packet } | { kind: 'forward' };

const lower = (s: string) => s.toLowerCase().replace(/\.$/, '');

/** Response codes travel in the low four bits of the flags (dns-packet encodes no rcode field). */
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const AA = 0x0400;
const RD = 0x0100;
const RA = 0x0080;

function reply(query: Packet, rcode: number, answers: Packet['answers'], authoritative = true): Packet {
  return {
    id: query.id ?? 0,
    type: 'response',
    // RD echoed, RA set (other names are forwarded), AA for the network's own names.
    flags: ((query.flags ?? 0) & RD) | RA | (authoritative ? AA : 0) | rcode,
    questions: query.questions ?? [],
    answers,
  };
}

function ptrName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

export function decide(query: Packet, members: DnsMember[]): DnsDecision {
  const q: Question | undefined = query.questions?.[0];
  if (!q || (query.questions?.length ?? 0) !== 1)
    return { kind: 'answer', response: reply(query, RCODE.REFUSED, [], false) };
  const name = lower(q.name);
  if (q.type === 'PTR') {
    const m = members.find((x) => ptrName(x.ip) === name && x.names.length > 0);
    if (m)
      return {
        kind: 'answer',
        response: reply(query, RCODE.NOERROR, [{ type: 'PTR', name: q.name, ttl: MEMBER_TTL, data: m.names[0]! }]),
      };
    return { kind: 'forward' };
  }
  const matching = members.filter((m) => m.names.some((n) => lower(n) === name));
  if (matching.length > 0) {
    const answers =
      q.type === 'A' ? matching.map((m) => ({ type: 'A' as const, name: q.name, ttl: MEMBER_TTL, data: m.ip })) : [];
    return { kind: 'answer', response: reply(query, RCODE.NOERROR, answers) };
  }
  if (!name.includes('.')) return { kind: 'answer', response: reply(query, RCODE.NXDOMAIN, []) };
  return { kind: 'forward' };
}

/** The nameservers of a resolv.conf that the resolver may forward to (not itself). */
export function upstreams(resolvConf: string, self: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (m && m[1] !== self && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** /etc/resolv.conf of a bridge member (container) : the network's resolver on its gateway. */
export function memberResolvConf(gateway: string): string {
  return `nameserver ${gateway}\n`;
}

/** A SERVFAIL for a query that could not be forwarded (no upstream, or it did not answer). */
export function servfail(query: Packet): Packet {
  return reply(query, RCODE.SERVFAIL, [], false);
}
