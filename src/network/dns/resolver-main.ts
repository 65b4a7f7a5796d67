/**
 * Entry of a bridge network's resolver: `node dns-resolver.mjs DATA RUNTIME NETWORK GATEWAY`
 * (started and stopped by resolver-process.ts, docs/adr/0047-network-dns.md). It binds UDP port 53
 * on the network's gateway address, answers the members' names from the network's record (read
 * again whenever it changes, so joins and leaves show at once) and forwards other names to the
 * host's resolvers. It says "ready" or "error: ..." on stdout once, and then nothing: it quits by
 * itself when the record is gone or no member of it is alive any more.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode, type Packet } from 'dns-packet';
import { storePaths } from '../../core/paths.js';
import { EnvStore } from '../../core/env-store.js';
import type { NetworkRecord } from '../network-store.js';
import { decide, servfail, upstreams, type DnsMember } from './dns-answer.js';

/** How long a forwarded query waits for the host's resolver. */
const FORWARD_WAIT_MS = 3000;
/** How often the resolver looks whether its network still has a live member. */
const MEMBER_CHECK_MS = 1000;

const [data, runtime, network, gateway] = process.argv.slice(2);
if (!data || !runtime || !network || !gateway) {
  process.stdout.write('error: usage: dns-resolver DATA RUNTIME NETWORK GATEWAY\n');
  process.exit(125);
}
const recordPath = join(data, 'networks', `${network}.json`);
const store = new EnvStore(storePaths(data, runtime, process.env.BERTH_STORE || undefined));

let cached: { mtimeMs: number; members: DnsMember[]; ids: string[] } | undefined;
function record(): { members: DnsMember[]; ids: string[] } | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(recordPath).mtimeMs;
  } catch {
    return undefined;
  }
  if (cached?.mtimeMs === mtimeMs) return cached;
  try {
    const n = JSON.parse(readFileSync(recordPath, 'utf8')) as NetworkRecord;
    const leases = Object.values(n.leases);
    cached = { mtimeMs, members: leases.map((l) => ({ ip: l.ip, names: l.names })), ids: leases.map((l) => l.envId) };
    return cached;
  } catch {
    return cached; // written atomically, so a failed read is a race with a rename: keep the last one
  }
}

function anyMemberAlive(ids: string[]): boolean {
  return ids.some((id) => {
    if (!store.readRecord(id)) return false;
    const st = store.status(id).state;
    return st === 'created' || st === 'running' || st === 'paused';
  });
}

let servers: string[] = [];
try {
  servers = upstreams(readFileSync('/etc/resolv.conf', 'utf8'), gateway);
} catch {
  /* no resolv.conf: other names get SERVFAIL */
}

function forward(sock: Socket, query: Packet, raw: Buffer, to: RemoteInfo): void {
  const server = servers[0];
  const fail = () => send(sock, encode(servfail(query)), to);
  if (!server) {
    fail();
    return;
  }
  const out = createSocket('udp4');
  const timer = setTimeout(() => {
    out.close();
    fail();
  }, FORWARD_WAIT_MS);
  out.on('error', () => {
    clearTimeout(timer);
    out.close();
    fail();
  });
  out.on('message', (answer) => {
    clearTimeout(timer);
    out.close();
    send(sock, answer, to);
  });
  out.send(raw, 53, server);
}

function send(sock: Socket, buf: Buffer, to: RemoteInfo): void {
  sock.send(buf, to.port, to.address, () => undefined);
}

const sock = createSocket({ type: 'udp4', reuseAddr: true });
sock.on('message', (raw, from) => {
  let query: Packet;
  try {
    query = decode(raw);
  } catch {
    return; // not DNS: no answer, as a resolver does
  }
  if (query.type === 'response') return;
  const d = decide(query, record()?.members ?? []);
  if (d.kind === 'answer') send(sock, encode(d.response), from);
  else forward(sock, query, raw, from);
});
let ready = false;
process.stdout.on('error', () => undefined); // the starter has stopped reading after "ready"
sock.once('error', (e) => {
  if (!ready) process.stdout.write(`error: ${e.message}\n`);
  process.exit(1);
});
sock.bind(53, gateway, () => {
  ready = true;
  process.stdout.write('ready\n');
  setInterval(() => {
    const r = record();
    if (!r || !anyMemberAlive(r.ids)) process.exit(0);
  }, MEMBER_CHECK_MS);
});
process.on('SIGTERM', () => process.exit(0));
