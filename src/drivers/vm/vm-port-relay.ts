/**
 * Published ports (`-p`) carried over the guest protocol, for a VM whose own network cannot
 * take a connection from the host's loopback (uml's slirp hands the guest 127.0.0.1 as the
 * source, which the guest drops as a martian). The VM monitor listens on HOST_IP:HOST_PORT
 * itself; each connection becomes an exec session of `/proc/1/exe berth-connect GUEST_PORT`
 * (native/init/relay.c), which connects to 127.0.0.1:GUEST_PORT inside the guest. Bytes go
 * as STDIN/STDOUT frames; the host's end of input is the session's EOF, the session's exit
 * closes the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameType as F, MAX_PAYLOAD, encodeStart, type StartRequest } from './guest-protocol.js';
import { VmClient } from './vm-client.js';
import { helperRequest } from './guest-requests.js';

export interface RelayedPort {
  hostAddr: string;
  hostPort: number;
  guestPort: number;
}

const SESSION = 1;

export function relayRequest(guestPort: number): StartRequest {
  return helperRequest(['berth-connect', String(guestPort)]);
}

async function carry(sock: Socket, monitorSocket: string, guestPort: number): Promise<void> {
  sock.pause();
  const client = await VmClient.connect(monitorSocket, () => true, 5_000).catch(() => undefined);
  if (!client) {
    sock.destroy();
    return;
  }
  client.on((f) => {
    if (f.session !== SESSION) return;
    if (f.type === F.STDOUT && f.payload.length > 0) {
      if (!sock.write(f.payload)) {
        client.sock.pause();
        sock.once('drain', () => client.sock.resume());
      }
    } else if (f.type === F.EXIT) {
      sock.end();
      client.close();
    }
  });
  client.sock.once('close', () => sock.end());
  client.send(F.START, SESSION, encodeStart(relayRequest(guestPort)));
  sock.on('data', (d: Buffer) => {
    for (let at = 0; at < d.length; at += MAX_PAYLOAD) client.send(F.STDIN, SESSION, d.subarray(at, at + MAX_PAYLOAD));
  });
  sock.on('end', () => client.send(F.STDIN, SESSION, Buffer.alloc(0)));
  // The connection went away: closing our client makes the monitor kill the relay inside.
  sock.on('close', () => client.close());
  sock.on('error', () => {
    /* close follows */
  });
  sock.resume();
}

/** Listen on every published port; rejects (closing what it opened) when one cannot be bound. */
export async function listenRelayedPorts(monitorSocket: string, ports: RelayedPort[]): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (const p of ports) {
      // Half-open allowed: a client that shuts down its sending side (EOF to the guest) still gets the answer.
      const server = createServer(
        { pauseOnConnect: true, allowHalfOpen: true },
        (sock) => void carry(sock, monitorSocket, p.guestPort),
      );
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen({ host: p.hostAddr, port: p.hostPort, exclusive: true }, res);
      });
      servers.push(server);
    }
    return servers;
  } catch (e) {
    for (const s of servers) s.close();
    throw new Error(`cannot publish a port: ${(e as Error).message}`);
  }
}
