/** /etc/hosts of an environment: localhost, its own name, and every peer on its network. Pure. */
export interface HostsPeer {
  ip: string;
  names: string[];
}

export function hostsFile(selfHostname: string, selfIp: string | undefined, peers: HostsPeer[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  lines.push(selfIp ? `${selfIp}\t${selfHostname}` : `127.0.1.1\t${selfHostname}`);
  for (const p of peers) {
    const names = [...new Set(p.names)].filter((n) => n !== '');
    if (names.length > 0) lines.push(`${p.ip}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
