/**
 * The nftables ruleset of one bridge network, as one `nft -f -` script that replaces the
 * network's own table atomically (nothing else in the ruleset is touched). Pure.
 *  - postrouting: masquerade the subnet going elsewhere (NAT out), and connections that a
 *    published port DNATed from 127.0.0.0/8 (route_localnet is set on the bridge only).
 *  - output/prerouting: one DNAT per published port (host processes / other hosts).
 *  - forward: the bridge's traffic out, and replies and published connections in.
 */
import type { PortMapping } from '../core/port-format.js';

export interface NftPublished {
  guestIp: string;
  port: PortMapping;
}

export interface NftNetwork {
  table: string;
  bridge: string;
  subnet: string;
  published: NftPublished[];
}

function dnat(p: NftPublished): string {
  const dst = p.port.hostIp ? `ip daddr ${p.port.hostIp}` : 'fib daddr type local';
  return `    ${dst} ${p.port.protocol} dport ${p.port.hostPort} dnat to ${p.guestIp}:${p.port.guestPort}`;
}

export function nftRuleset(n: NftNetwork): string {
  const dnats = n.published.map(dnat);
  return [
    // "add" then "delete" makes the delete valid whether or not the table exists.
    `add table ip ${n.table}`,
    `delete table ip ${n.table}`,
    `table ip ${n.table} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    ip saddr ${n.subnet} ip daddr != ${n.subnet} masquerade`,
    `    ip saddr 127.0.0.0/8 oifname "${n.bridge}" masquerade`,
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...dnats,
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority -100; policy accept;',
    ...dnats,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    `    iifname "${n.bridge}" accept`,
    `    oifname "${n.bridge}" ct state established,related accept`,
    `    oifname "${n.bridge}" ct status dnat accept`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function nftDeleteTable(table: string): string {
  return `add table ip ${table}\ndelete table ip ${table}\n`;
}
