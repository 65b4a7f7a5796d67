/** Parsing /proc/net/tcp and tcp6: the local ports in LISTEN state (st 0A). */
export function listeningPorts(text: string): Set<number> {
  const out = new Set<number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st ...
    if (f.length < 4 || !/^\d+:$/.test(f[0]!) || f[3] !== '0A') continue;
    const port = Number.parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (Number.isInteger(port)) out.add(port);
  }
  return out;
}
