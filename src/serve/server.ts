/**
 * `berth serve`: Node's own http server speaking the Docker Engine API on a unix socket (mode
 * 0600; root: 0660 with group `berth` when it exists) and, when asked, on a loopback TCP port.
 * Requests that ask to hijack the connection (`Upgrade: tcp`) arrive as 'upgrade' events and go
 * through the same router. close() ends every connection and removes the socket file.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { SpecError } from '../core/errors.js';
import { HostError } from '../index.js';
import { HttpExchange, UpgradedExchange } from './exchange.js';
import { dispatch } from './router.js';
import { ServerState } from './state.js';
import { followRunning } from './handlers/containers.js';

export interface ServeOptions {
  socket: string;
  tcp?: { host: string; port: number };
  /** The backend of containers without a `berth.backend` label (absent: berth's backend setting). */
  backend?: string;
  /** A request failed with a 5xx (the server keeps serving). */
  onError?: (e: unknown) => void;
}

export interface RunningServer {
  socket: string;
  /** host:port of the TCP listener, when one was asked for. */
  tcp?: string;
  close(): Promise<void>;
}

/** A socket file nobody answers on is a leftover; one that answers belongs to a running server. */
function claimSocketPath(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      reject(
        new HostError('socket-in-use', `another server is listening on ${path}`, {
          fix: 'stop it, or give berth serve another --socket PATH',
        }),
      );
    });
    probe.once('error', () => {
      rmSync(path, { force: true });
      resolve();
    });
  });
}

function berthGroupId(): number | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('berth:'));
    const gid = line ? Number(line.split(':')[2]) : Number.NaN;
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: Server, ...args: [string] | [number, string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [string]), () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function makeServer(state: ServerState, sockets: Set<Socket>, onError: (e: unknown) => void): Server {
  const server = createServer({ keepAliveTimeout: 60_000 });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('request', (req, res) => void dispatch(new HttpExchange(req, res), state, onError));
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void dispatch(new UpgradedExchange(req, socket, head), state, onError);
  });
  server.on('clientError', (_e, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Makes the socket's own directory (as for $XDG_RUNTIME_DIR/berth), never a missing chain of parents. */
function makeSocketDir(dir: string, root: boolean): void {
  try {
    mkdirSync(dir, { mode: root ? 0o755 : 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new SpecError('socket-dir', `--socket: ${dirname(dir)} does not exist`, {
        fix: 'create it first, or give a socket path in an existing directory',
      });
    throw e;
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const state = new ServerState(opts.backend);
  const sockets = new Set<Socket>();
  const onError = opts.onError ?? (() => {});
  const unix = makeServer(state, sockets, onError);
  const root = process.getuid?.() === 0;
  makeSocketDir(dirname(opts.socket), root);
  await claimSocketPath(opts.socket);
  // Created 0600 by the umask, so no other user can connect between listen and chmod.
  const umask = process.umask(0o177);
  try {
    await listen(unix, opts.socket);
  } finally {
    process.umask(umask);
  }
  followRunning(state);
  const gid = root ? berthGroupId() : undefined;
  if (gid !== undefined) {
    chownSync(opts.socket, 0, gid);
    chmodSync(opts.socket, 0o660);
  }
  const servers = [unix];
  let tcp: string | undefined;
  if (opts.tcp) {
    const t = makeServer(state, sockets, onError);
    try {
      await listen(t, opts.tcp.port, opts.tcp.host);
    } catch (e) {
      unix.close();
      rmSync(opts.socket, { force: true });
      throw e;
    }
    const a = t.address();
    if (a && typeof a === 'object') tcp = `${a.address}:${a.port}`;
    servers.push(t);
  }
  let closing: Promise<void> | undefined;
  return {
    socket: opts.socket,
    ...(tcp ? { tcp } : {}),
    close: () =>
      (closing ??= (async () => {
        const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of sockets) s.destroy();
        state.events.removeAllListeners();
        await Promise.all(closed);
        rmSync(opts.socket, { force: true });
      })()),
  };
}
