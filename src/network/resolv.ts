/** The first nameserver of a resolv.conf that a guest behind a bridge can reach (not loopback). Pure. */
export function reachableNameserver(resolvConf: string): string | undefined {
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (m && !m[1]!.startsWith('127.')) return m[1];
  }
  return undefined;
}
