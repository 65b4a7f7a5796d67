/**
 * `/containers/{id}/archive` GET and PUT in one exec each (src/serve/handlers/archive.ts over the
 * library's copyFrom and copyTo: src/api/env-archive.ts, copy-in-script.ts, copy-out-script.ts):
 * PUT's body is the request itself, streamed, read only once the script says go (a refused PUT
 * reads nothing); GET's stat is known before the tar's first byte, whichever of stdout and stderr
 * comes first. The environment is the copy tests' fake whose exec runs the command on the host
 * (test/unit/api/fake-exec-env.ts); test/integration/docker-api/docker-cli.test.ts runs the docker
 * CLI against berth serve.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { copyFromEnv, copyToEnv, type TarSink } from '../../../src/api/env-archive.js';
import { REFUSED, tarInArgv } from '../../../src/api/copy-in-script.js';
import { HttpExchange } from '../../../src/serve/exchange.js';
import { archiveRefusal } from '../../../src/serve/handlers/archive.js';
import { goFileMode, pathStatOf } from '../../../src/serve/path-stat.js';
import { statusOf } from '../../../src/serve/errors.js';
import { SpecError, type InsidePath } from '../../../src/index.js';
import type { Context } from '../../../src/api/context.js';
import { contextWithExec, fakeExecEnv } from '../api/fake-exec-env.js';

/** A tar of one file NAME holding DATA, as a client sends it. */
async function tarOf(name: string, data: Buffer): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-archive-src-'));
  try {
    writeFileSync(join(dir, name), data);
    const tar = await import('tar');
    const parts: Buffer[] = [];
    for await (const c of tar.c({ cwd: dir, portable: true }, [name]) as AsyncIterable<Buffer>) parts.push(c);
    return Buffer.concat(parts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('PUT archive: one exec, the request body streamed after go', () => {
  let inside: string;
  let server: Server;
  let port = 0;
  const { ctx, execs } = fakeExecEnv();
  /** What the handler saw of each request's body once the copy was over. */
  const seen: { flowing: boolean | null; ended: boolean; status: number }[] = [];

  before(async () => {
    inside = mkdtempSync(join(tmpdir(), 'berth-archive-env-'));
    mkdirSync(join(inside, 'dir'));
    writeFileSync(join(inside, 'file'), 'x');
    // The handler's part: the exchange's body stream into copyToEnv, a refusal mapped as the route does.
    server = createServer((req: IncomingMessage, res) => {
      const x = new HttpExchange(req, res);
      const path = x.query.get('path') ?? '';
      copyToEnv(ctx, 'e', x.bodyStream(), path).then(
        () => {
          seen.push({ flowing: req.readableFlowing, ended: req.readableEnded, status: 200 });
          x.empty(200);
        },
        (e: unknown) => {
          const { status, message } = statusOf(archiveRefusal(e, 'e1', path));
          seen.push({ flowing: req.readableFlowing, ended: req.readableEnded, status });
          x.json(status, { message });
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.close();
    rmSync(inside, { recursive: true, force: true });
  });

  const put = (path: string, body: Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { port, host: '127.0.0.1', method: 'PUT', path: `/containers/e/archive?path=${encodeURIComponent(path)}` },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.once('error', reject);
      req.end(body);
    });

  it('extracts a body of several MiB with one exec whose stdin is the request stream', async () => {
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const r = await put(join(inside, 'dir'), await tarOf('big', data));
    assert.equal(r.status, 200, r.text);
    assert.ok(readFileSync(join(inside, 'dir', 'big')).equals(data));
    assert.equal(execs.length, 1);
    assert.ok(execs[0]!.input instanceof Readable, 'stdin is a stream, not a buffer');
    assert.deepEqual(execs[0]!.argv, tarInArgv(join(inside, 'dir')));
    assert.equal(seen.at(-1)!.ended, true, 'the body was read to its end, by the exec');
  });

  it('refuses a missing path (404) and a file (400) in the one exec, reading nothing of the body', async () => {
    const before = execs.length;
    const body = await tarOf('f', Buffer.from('never'));
    const missing = await put(join(inside, 'no', 'such'), body);
    assert.equal(missing.status, 404);
    assert.match(missing.text, /Could not find the file .*\/no\/such in container e1/);
    assert.deepEqual(seen.at(-1), { flowing: null, ended: false, status: 404 }, 'a refused PUT never read its body');
    const file = await put(join(inside, 'file'), body);
    assert.equal(file.status, 400);
    assert.match(file.text, /extraction point is not a directory/);
    assert.deepEqual(seen.at(-1), { flowing: null, ended: false, status: 400 }, 'a refused PUT never read its body');
    assert.equal(execs.length - before, 2, 'one exec per request');
    assert.equal(readFileSync(join(inside, 'file'), 'utf8'), 'x');
  });
});

describe('the tar-stream copy-in script', () => {
  it('refuses a missing path and a non-directory with codes of their own', async () => {
    const { ctx } = fakeExecEnv();
    const d = mkdtempSync(join(tmpdir(), 'berth-archive-codes-'));
    try {
      writeFileSync(join(d, 'f'), 'x');
      let reads = 0;
      const unread = () =>
        new Readable({
          read() {
            reads++;
            this.push(null);
          },
        });
      await assert.rejects(copyToEnv(ctx, 'e', unread(), join(d, 'none')), (e: unknown) => {
        return e instanceof SpecError && e.code === 'no-such-dest';
      });
      await assert.rejects(copyToEnv(ctx, 'e', unread(), join(d, 'f')), (e: unknown) => {
        return e instanceof SpecError && e.code === 'not-a-directory';
      });
      assert.equal(reads, 0);
      assert.notEqual(REFUSED.noSuchDir, REFUSED.notADir);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

/** A running environment whose one exec writes STDOUT before STDERR (the order a host may see them in). */
function outOfOrderEnv(stdout: Buffer[], stderr: string, exitCode = 0): { ctx: Context; execs: string[][] } {
  const execs: string[][] = [];
  const ctx = contextWithExec(async (_h, argv, opts) => {
    execs.push(argv);
    for (const c of stdout) opts.onStdout?.(c);
    opts.onStderr?.(Buffer.from(stderr));
    return { exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.from(stderr) };
  });
  return { ctx, execs };
}

/** A TarSink recording the order of events: the stat, then each chunk written. */
function recordingSink(): { sink: TarSink; events: string[]; stats: InsidePath[] } {
  const events: string[] = [];
  const stats: InsidePath[] = [];
  const sink: TarSink = (st) => {
    stats.push(st);
    events.push('stat');
    return new Writable({
      write(c: Buffer, _e, cb) {
        events.push(`bytes:${c.toString()}`);
        cb();
      },
    });
  };
  return { sink, events, stats };
}

describe('GET archive: one exec, the stat before the body', () => {
  it('holds the tar until the stat has come, then streams it', async () => {
    const { ctx, execs } = outOfOrderEnv([Buffer.from('T1'), Buffer.from('T2')], '12 81a4 1700000000\n\n\n');
    const { sink, events, stats } = recordingSink();
    const st = await copyFromEnv(ctx, 'e', '/etc/hosts', sink);
    assert.equal(execs.length, 1);
    assert.deepEqual(events, ['stat', 'bytes:T1', 'bytes:T2']);
    assert.deepEqual(stats, [st]);
    assert.deepEqual(pathStatOf('hosts', st), {
      name: 'hosts',
      size: 12,
      mode: goFileMode(0o100644),
      mtime: '2023-11-14T22:13:20.000Z',
      linkTarget: '',
    });
  });

  it('opens no stream for a refusal: a missing path is 404', async () => {
    const { ctx } = outOfOrderEnv([], '', 44);
    const { sink, events } = recordingSink();
    const e = await copyFromEnv(ctx, 'e', '/no/such', sink).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.deepEqual(events, []);
    assert.deepEqual(statusOf(archiveRefusal(e, 'e1', '/no/such')), {
      status: 404,
      message: 'Could not find the file /no/such in container e1',
    });
  });

  it('tars a real path with one exec, the stat first', async () => {
    const { ctx, execs } = fakeExecEnv();
    const d = mkdtempSync(join(tmpdir(), 'berth-archive-get-'));
    try {
      writeFileSync(join(d, 'f'), 'hello\n');
      const events: string[] = [];
      const bytes = new PassThrough();
      const parts: Buffer[] = [];
      bytes.on('data', (c: Buffer) => parts.push(c));
      const st = await copyFromEnv(ctx, 'e', join(d, 'f'), (s) => {
        events.push(`stat:${s.size}`);
        return new Writable({
          write(c: Buffer, _e, cb) {
            if (events.at(-1) !== 'bytes') events.push('bytes');
            bytes.write(c, cb);
          },
        });
      });
      assert.equal(execs.length, 1);
      assert.deepEqual(events, ['stat:6', 'bytes']);
      assert.equal(st.dir, false);
      const tar = Buffer.concat(parts);
      assert.equal(tar.subarray(0, 1).toString(), 'f', 'the entry is named by its last element');
      assert.ok(tar.includes('hello\n'));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
