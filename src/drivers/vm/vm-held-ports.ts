/**
 * The Node VM monitor's hold of a bridge network's `-p` host ports (held-ports.ts; berth-vmmon
 * does the same in C). Node binds TCP only by listening: a connection that reaches the socket,
 * one the DNAT rules do not cover, is closed at once. UDP is bound and never read.
 */
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';

function hold(spec: string): Promise<Server | Socket> {
  const [proto, addr, port] = spec.split(':');
  return new Promise((res, rej) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', rej);
      s.bind({ address: addr!, port: Number(port), exclusive: true }, () => res(s));
      return;
    }
    const s = createServer((sock) => sock.destroy());
    s.once('error', rej);
    s.listen({ host: addr, port: Number(port), exclusive: true }, () => res(s));
  });
}

/** Bind every port, or close what was bound and throw naming the one that failed. */
export async function holdPorts(specs: string[]): Promise<(Server | Socket)[]> {
  const held: (Server | Socket)[] = [];
  for (const spec of specs) {
    try {
      held.push(await hold(spec));
    } catch (e) {
      for (const h of held) h.close();
      throw new Error(`host port ${spec} cannot be held: ${(e as Error).message}`);
    }
  }
  return held;
}
