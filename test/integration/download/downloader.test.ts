/**
 * berth's one downloader (src/images/download, ADR 0033) against a real HTTP server on loopback:
 * a transfer cut short resumes with Range, a kill -9 mid-download leaves only a `.partial` that the
 * next call resumes, a digest mismatch leaves nothing, and progress reaches onTransfer. The
 * downloads run in this process, and through `berth pull` (killed with SIGKILL, then run again) as
 * root and as the test user; a registry pull (blobs over node:http) killed mid-layer the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { download, DownloadError } from '../../../src/images/download/download.js';
import { rawGet, readBody } from '../../../src/images/download/raw-get.js';
import { goArch } from '../../../src/images/registry/platform.js';
import { DigestMismatchError } from '../../../src/images/store/blob-store.js';
import type { Transfer } from '../../../src/core/transfer.js';
import { isRoot, makeRunner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

const DATA = randomBytes(3 * 1024 * 1024 + 17);
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const DIGEST = sha(DATA);

/** How the next full (non-Range) GET of a path misbehaves. */
type Trick = { cut?: number; stall?: number; corrupt?: boolean };

interface Server {
  url: string;
  log: string[];
  next(path: string, trick: Trick): void;
  /** Serve `data` at `path` instead of DATA. */
  serveData(path: string, data: Buffer): void;
  close(): void;
}

async function startServer(): Promise<Server> {
  const tricks = new Map<string, Trick>();
  const files = new Map<string, Buffer>();
  const stalled: ServerResponse[] = [];
  const log: string[] = [];
  const server = createServer((req, res) => {
    const range = req.headers.range;
    log.push(`${req.url} range=${range ?? '-'}`);
    const data = files.get(req.url ?? '') ?? DATA;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = m ? Number(m[1]) : 0;
    if (start >= data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
      return;
    }
    const trick = m ? {} : (tricks.get(req.url ?? '') ?? {});
    if (!m) tricks.delete(req.url ?? '');
    let body = data.subarray(start);
    if (trick.corrupt) {
      body = Buffer.from(body);
      body[body.length >> 1]! ^= 0xff;
    }
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length),
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    if (trick.cut !== undefined) {
      res.write(body.subarray(0, trick.cut), () => setTimeout(() => res.destroy(), 50));
    } else if (trick.stall !== undefined) {
      res.write(body.subarray(0, trick.stall));
      stalled.push(res);
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    log,
    next: (path, trick) => tricks.set(path, trick),
    serveData: (path, data) => files.set(path, data),
    close: () => {
      for (const r of stalled) r.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

const dirs: string[] = [];
function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-download-'));
  chmodSync(d, 0o777);
  dirs.push(d);
  return d;
}
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sizeOf = (p: string) => (existsSync(p) ? statSync(p).size : 0);

test('a cut transfer is resumed with Range, with progress from where it resumed', async () => {
  const srv = await startServer();
  try {
    const partial = join(workDir(), 'blob.partial');
    srv.next('/a', { cut: 1024 * 1024 });
    await assert.rejects(
      download({ url: `${srv.url}/a`, partial, size: DATA.length, digest: DIGEST }),
      (e: unknown) => e instanceof DownloadError && e.failure === 'interrupted' && !!e.fix,
    );
    const kept = sizeOf(partial);
    // (A reset may drop bytes the client had not read yet: at most the 1 MiB sent.)
    assert.ok(kept > 0 && kept <= 1024 * 1024, `the partial file is kept (${kept} bytes)`);

    const events: Transfer[] = [];
    const resumedAt: number[] = [];
    const r = await download({
      url: `${srv.url}/a`,
      partial,
      size: DATA.length,
      digest: DIGEST,
      onTransfer: (t) => events.push({ ...t }),
      onResume: (n) => resumedAt.push(n),
      transferId: 'id-a',
      label: 'blob a',
    });
    assert.equal(r.digest, DIGEST);
    assert.equal(r.resumed, true);
    assert.equal(r.transferred, DATA.length - kept, 'only the rest came over the network');
    assert.deepEqual(resumedAt, [kept]);
    assert.equal(srv.log.at(-1), `/a range=bytes=${kept}-`);
    assert.ok(readFileSync(partial).equals(DATA), 'the partial file now holds the whole content');
    // Progress: starts where the kept bytes end, grows, ends finished at the full size.
    assert.equal(events[0]!.done, kept);
    assert.ok(events.every((e) => e.id === 'id-a' && e.label === 'blob a' && e.total === DATA.length));
    assert.ok(events.length > 3, `several reports (${events.length})`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.done >= events[i - 1]!.done);
    assert.deepEqual(events.at(-1), {
      id: 'id-a',
      label: 'blob a',
      done: DATA.length,
      total: DATA.length,
      finished: true,
    });
    assert.equal(events.filter((e) => e.finished).length, 1);

    // Within one call, `retries` resumes by itself.
    const partial2 = join(workDir(), 'blob.partial');
    srv.next('/b', { cut: 512 * 1024 });
    const r2 = await download({
      url: `${srv.url}/b`,
      partial: partial2,
      size: DATA.length,
      digest: DIGEST,
      retries: 2,
    });
    assert.equal(r2.digest, DIGEST);
    assert.equal(r2.resumed, true);
  } finally {
    srv.close();
  }
});

test('a digest mismatch leaves nothing; a bad resumed file is fetched once more whole', async () => {
  const srv = await startServer();
  try {
    const partial = join(workDir(), 'bad.partial');
    srv.next('/c', { corrupt: true });
    await assert.rejects(
      download({ url: `${srv.url}/c`, partial, size: DATA.length, digest: DIGEST }),
      (e: unknown) => {
        assert.ok(e instanceof DigestMismatchError, String(e));
        assert.match(e.message, new RegExp(`expected ${DIGEST}`));
        assert.ok(!e.oneLine().includes('\n'));
        return true;
      },
    );
    assert.equal(existsSync(partial), false, 'no partial file left');

    // Garbage where a partial file should be: resumed, fails, then downloaded whole.
    writeFileSync(partial, Buffer.alloc(1000, 0x55));
    const r = await download({ url: `${srv.url}/c`, partial, size: DATA.length, digest: DIGEST });
    assert.equal(r.digest, DIGEST);
    assert.equal(r.resumed, false);
    assert.ok(srv.log.includes('/c range=bytes=1000-'));

    // More bytes than expected: stopped, nothing kept.
    const small = join(workDir(), 'small.partial');
    await assert.rejects(
      download({ url: `${srv.url}/d`, partial: small, maxBytes: 1000 }),
      (e: unknown) => e instanceof DownloadError && e.failure === 'too-large',
    );
    assert.equal(existsSync(small), false);
    // A refused request names the status.
    srv.close();
    await assert.rejects(
      download({ url: `${srv.url}/e`, partial: small }),
      (e: unknown) => e instanceof DownloadError && e.failure === 'unreachable' && /ECONNREFUSED/.test(e.message),
    );
  } finally {
    srv.close();
  }
});

test('redirects are followed; Authorization goes to the same origin only (a registry sends blobs to storage)', async () => {
  const seen: string[] = [];
  const listen = (handler: Parameters<typeof createServer>[1]) =>
    new Promise<{ url: string; close(): void }>((resolve) => {
      const s = createServer(handler).listen(0, '127.0.0.1', () => {
        const a = s.address();
        resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, close: () => s.close() });
      });
    });
  const storage = await listen((req, res) => {
    seen.push(`storage ${req.url} ${req.headers.authorization ?? 'no-auth'}`);
    res.end('blob bytes');
  });
  const registry = await listen((req, res) => {
    seen.push(`registry ${req.url} ${req.headers.authorization ?? 'no-auth'}`);
    if (req.url === '/v2/b') res.writeHead(307, { location: '/v2/b2' }).end();
    else if (req.url === '/v2/b2') res.writeHead(302, { location: `${storage.url}/signed?x=1` }).end();
    else res.writeHead(404).end();
  });
  try {
    const got = await rawGet(`${registry.url}/v2/b`, { headers: { authorization: 'Bearer T' }, timeoutMs: 5000 });
    assert.equal(got.status, 200);
    assert.equal(got.url, `${storage.url}/signed?x=1`);
    assert.equal((await readBody(got, 1 << 20, () => new Error('too large'))).toString(), 'blob bytes');
    assert.deepEqual(seen, ['registry /v2/b Bearer T', 'registry /v2/b2 Bearer T', 'storage /signed?x=1 no-auth']);
  } finally {
    registry.close();
    storage.close();
  }
});

test('the socket reader: chunked bodies, bodies ended by the close, a body cut mid-chunk, a stall', async () => {
  const big = randomBytes(700_000);
  const server = createServer((req, res) => {
    if (req.url === '/chunked') {
      // No Content-Length and several writes: node:http sends Transfer-Encoding: chunked.
      res.writeHead(200);
      let off = 0;
      const step = () => {
        if (off >= big.length) return res.end();
        const n = 1 + Math.floor(Math.random() * 90_000);
        res.write(big.subarray(off, off + n), () => setImmediate(step));
        off += n;
      };
      step();
    } else if (req.url === '/close') {
      // HTTP/1.0-style: neither length nor chunks, the body ends with the connection.
      res.socket!.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\n\r\n'), big]));
    } else if (req.url === '/cut') {
      res.socket!.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123');
    } else if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': '10' });
      res.write('01234');
    } else res.writeHead(404).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const whole = (path: string, timeoutMs = 5000) =>
    rawGet(`${base}${path}`, { timeoutMs }).then((r) => readBody(r, 1 << 24, () => new Error('too large')));
  try {
    assert.ok((await whole('/chunked')).equals(big), 'a chunked body arrives whole');
    const closed = await rawGet(`${base}/close`, { timeoutMs: 5000 });
    assert.equal(closed.headers['x-a'], '1, 2', 'repeated headers are joined');
    assert.ok((await readBody(closed, 1 << 24, () => new Error('too large'))).equals(big));
    await assert.rejects(whole('/cut'), /closed mid-body/);
    await assert.rejects(whole('/stall', 300), /stalled for 300 ms/);
    const missing = await rawGet(`${base}/none`, { timeoutMs: 5000 });
    assert.equal(missing.status, 404);
    missing.discard();
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('the socket reader speaks TLS and checks the certificate (NODE_EXTRA_CA_CERTS)', (t) => {
  if (!requireThat(t, existsSync('/usr/bin/openssl'), 'openssl (package openssl)')) return;
  const dir = workDir();
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  // A child process: the CA file must be named before Node starts.
  const script = `
    import { createServer } from 'node:https';
    import { readFileSync } from 'node:fs';
    import { rawGet, readBody } from ${JSON.stringify(join(import.meta.dirname, '../../../src/images/download/raw-get.js'))};
    const body = Buffer.alloc(300000, 7);
    const s = createServer({ key: readFileSync(${JSON.stringify(join(dir, 'key.pem'))}), cert: readFileSync(${JSON.stringify(join(dir, 'cert.pem'))}) },
      (req, res) => res.end(body));
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    const url = 'https://127.0.0.1:' + s.address().port + '/b';
    const res = await rawGet(url, { timeoutMs: 5000 });
    const got = await readBody(res, 1 << 20, () => new Error('too large'));
    console.log(res.status, got.equals(body));
    s.closeAllConnections(); s.close();
  `;
  const trusted = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
  });
  assert.equal(trusted.stdout.trim(), '200 true', trusted.stderr);
  const untrusted = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(untrusted.status, 0);
  assert.match(untrusted.stderr, /self-signed certificate|unable to verify/);
});

for (const mode of ['root', 'rootless'] as const) {
  test(`berth pull killed with SIGKILL mid-download (${mode}): only a .partial is left, the next pull resumes it`, {
    timeout: 120_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (to run berth as root and as the test user)')) return;
    const r = makeRunner(mode);
    const srv = await startServer();
    try {
      // A real tarball (tar: images are imported after the download), 3 MiB of random bytes.
      const src = workDir();
      writeFileSync(join(src, 'data'), DATA);
      const tarball = spawnSync('tar', ['-C', src, '-cf', '-', 'data'], { maxBuffer: 64 * 1024 * 1024 }).stdout;
      srv.serveData('/k.tar', tarball);
      const url = `${srv.url}/k.tar`;
      const tmp = join(r.root, 'images', 'blobs', 'tmp');
      const partial = () => (existsSync(tmp) ? readdirSync(tmp).filter((n) => n.endsWith('.partial')) : []);
      srv.next('/k.tar', { stall: 1536 * 1024 });
      const child = r.spawn(['pull', `tar:${url}`]);
      while (!(partial().length === 1 && sizeOf(join(tmp, partial()[0]!)) >= 1536 * 1024)) {
        assert.equal(child.exitCode, null, 'the pull is still running');
        await new Promise((res) => setTimeout(res, 20));
      }
      // runuser does not pass SIGKILL on: kill berth's own node process (the URL's port is unique).
      const pids = spawnSync('pgrep', ['-f', `pull tar:${url}`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((p) => !/^runuser/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
      assert.equal(pids.length, 1, `one berth process: ${pids.join(' ')}`);
      process.kill(pids[0]!, 'SIGKILL');
      await new Promise((res) => child.once('close', res));
      assert.deepEqual(partial().length, 1, 'only the .partial is left');
      assert.equal(sizeOf(join(tmp, partial()[0]!)), 1536 * 1024, 'holding what arrived');

      const again = await r.run(['pull', `tar:${url}`]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(srv.log.at(-1), `/k.tar range=bytes=${1536 * 1024}-`, 'the second pull asked for the rest only');
      assert.deepEqual(partial(), [], 'the partial download became the blob');
      const digest = `sha256:${createHash('sha256').update(tarball).digest('hex')}`;
      assert.ok(existsSync(join(r.root, 'images', 'blobs', 'sha256', digest.slice(7))), 'the blob is stored');

      // The same through a registry pull (manifest and blobs over node:http, ADR 0050): killed in
      // the middle of the layer, the store holds the config but never the half layer.
      const layer = gzipSync(tarball, { level: 1 });
      const layerDigest = sha(layer);
      const config = Buffer.from(JSON.stringify({ architecture: goArch(), os: 'linux', rootfs: { type: 'layers' } }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length },
          ],
        }),
      );
      srv.serveData('/v2/t/k/manifests/1', manifest);
      srv.serveData(`/v2/t/k/blobs/${sha(config)}`, config);
      srv.serveData(`/v2/t/k/blobs/${layerDigest}`, layer);
      const stallAt = layer.length >> 1;
      srv.next(`/v2/t/k/blobs/${layerDigest}`, { stall: stallAt });
      const ref = `${srv.url.replace('http://', '')}/t/k:1`;
      const pulling = r.spawn(['pull', ref]);
      while (!(partial().length === 1 && sizeOf(join(tmp, partial()[0]!)) >= stallAt)) {
        assert.equal(pulling.exitCode, null, 'the pull is still running');
        await new Promise((res) => setTimeout(res, 20));
      }
      const pullPids = spawnSync('pgrep', ['-f', `pull ${ref}`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((p) => !/^runuser/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
      assert.equal(pullPids.length, 1, `one berth process: ${pullPids.join(' ')}`);
      process.kill(pullPids[0]!, 'SIGKILL');
      await new Promise((res) => pulling.once('close', res));
      const blob = (d: string) => join(r.root, 'images', 'blobs', 'sha256', d.slice(7));
      assert.deepEqual(partial(), [`${layerDigest.slice(7)}.partial`], "only the layer's .partial is left");
      assert.equal(existsSync(blob(layerDigest)), false, 'no half layer in the store');
      assert.ok(existsSync(blob(sha(config))), 'the config, complete before the kill, is stored');

      const pulled = await r.run(['pull', '-q', ref]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(pulled.stdout.trim(), sha(manifest));
      assert.equal(srv.log.at(-1), `/v2/t/k/blobs/${layerDigest} range=bytes=${stallAt}-`, 'the layer resumed');
      assert.deepEqual(partial(), []);
      assert.ok(readFileSync(blob(layerDigest)).equals(layer), 'the layer is stored whole');
    } finally {
      srv.close();
      r.cleanup();
    }
  });
}
