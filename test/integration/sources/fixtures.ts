/**
 * Fixtures for the image-source tests: a runnable busybox root filesystem, tarballs of it in
 * every compression berth reads, and a loopback HTTP server (node:http) that serves files with
 * Range support and can cut the first transfer short (to exercise resumed downloads).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A busybox root filesystem with /etc/msg saying `msg`. */
export function makeRootfs(dir: string, msg: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'cat', 'ls', 'echo', 'rm', 'stat', 'test', 'chown', 'chmod', 'mkdir', 'true'])
    symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'etc', 'msg'), `${msg}\n`);
}

/** tar the rootfs (owners 0:0) into `out`, then compress: 'none' | 'gzip' | 'xz' | 'zstd'. Returns the path. */
export function makeTarball(rootfs: string, out: string, compression: 'none' | 'gzip' | 'xz' | 'zstd'): string {
  const tar = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', out, '.']);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  if (compression === 'none') return out;
  const [cmd, ext] = { gzip: ['gzip', '.gz'], xz: ['xz', '.xz'], zstd: ['zstd', '.zst'] }[compression] as [
    string,
    string,
  ];
  const r = spawnSync(cmd, cmd === 'zstd' ? ['-q', '-f', '--rm', out] : ['-f', out]);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return out + ext;
}

export interface FileServer {
  url: string;
  server: Server;
  /** Every request: "GET /path range=..." */
  log: string[];
  /** Serve `data` at `path`; when `cutFirstAt` is set, the first full GET ends after that many bytes. */
  serve(path: string, data: Buffer, cutFirstAt?: number): void;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, { data: Buffer; cut?: number }>();
  const log: string[] = [];
  const server = createServer((req, res) => {
    const range = req.headers.range;
    log.push(`${req.method} ${req.url} range=${range ?? '-'}`);
    const f = files.get(req.url ?? '');
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = m ? Number(m[1]) : 0;
    if (start >= f.data.length) {
      res.writeHead(416, { 'content-range': `bytes */${f.data.length}` }).end();
      return;
    }
    const body = f.data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${f.data.length - 1}/${f.data.length}` } : {}),
    });
    if (f.cut !== undefined && !m) {
      const cut = f.cut;
      f.cut = undefined;
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  return {
    url,
    server,
    log,
    serve: (path, data, cut) => files.set(path, { data, ...(cut !== undefined ? { cut } : {}) }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export { readFileSync };
