/**
 * `berth cp` into an environment (src/api/env-archive.ts copyToEnv, copy-in-script.ts,
 * exec-fed.ts): one exec, its stdin a stream opened only after the script's checks, and Docker's
 * rules and refusals as before. The environment here is a fake whose exec runs the command on the
 * host through the shim backends' own piping (src/drivers/shim/exec-io.ts), so the script meets a
 * host directory as "inside"; test/integration/cli/docker-verbs-files.test.ts runs it in real
 * environments (busybox).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { copyToEnv } from '../../../src/api/env-archive.js';
import { copyInArgv, copyInRefusal, REFUSED, tarInArgv } from '../../../src/api/copy-in-script.js';
import { execFed } from '../../../src/api/exec-fed.js';
import { runExecHelper } from '../../../src/drivers/shim/exec-io.js';
import { fakeExecEnv as fakeEnv, writeSampleTree } from './fake-exec-env.js';
import { SpecError } from '../../../src/core/errors.js';

const tree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => !p.startsWith('.berth-cp'))
    .sort();

describe('copyToEnv: one exec, streamed', () => {
  let host: string;
  const made: string[] = [];
  before(() => {
    host = mkdtempSync(join(tmpdir(), 'berth-cpin-host-'));
    writeSampleTree(host);
  });
  after(() => rmSync(host, { recursive: true, force: true }));
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cpin-env-'));
    made.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('copies a file into a directory with one exec whose stdin is a stream', async () => {
    const { ctx, execs } = fakeEnv();
    const d = fresh();
    await copyToEnv(ctx, 'e', join(host, 'file'), `${d}/`);
    assert.equal(execs.length, 1);
    assert.ok(execs[0]!.input instanceof Readable, 'stdin is a stream, not a buffer');
    assert.equal(readFileSync(join(d, 'file'), 'utf8'), 'one\n');
  });

  it("keeps Docker's rules: into a directory, as a new name, DIR/., a file replacing a file", async () => {
    const { ctx, execs } = fakeEnv();
    const d = fresh();
    await copyToEnv(ctx, 'e', join(host, 'file'), `${d}/renamed`);
    await copyToEnv(ctx, 'e', join(host, 'tree'), `${d}/newtree`);
    await copyToEnv(ctx, 'e', join(host, 'tree'), `${d}/newtree`);
    await copyToEnv(ctx, 'e', `${join(host, 'tree')}/.`, `${d}/contents`);
    await copyToEnv(ctx, 'e', join(host, 'tree', 'top'), `${d}/renamed`);
    assert.equal(execs.length, 5);
    assert.deepEqual(tree(d), [
      'contents',
      'contents/sub',
      'contents/sub/leaf',
      'contents/top',
      'newtree',
      'newtree/sub',
      'newtree/sub/leaf',
      'newtree/top',
      'newtree/tree',
      'newtree/tree/sub',
      'newtree/tree/sub/leaf',
      'newtree/tree/top',
      'renamed',
    ]);
    assert.equal(readFileSync(join(d, 'renamed'), 'utf8'), 'top\n');
  });

  it('refuses as before, in the one exec, without reading the source', async () => {
    const { ctx, execs } = fakeEnv();
    const d = fresh();
    writeFileSync(join(d, 'f'), 'x');
    const refused = async (src: string, dest: string, re: RegExp) => {
      await assert.rejects(
        copyToEnv(ctx, 'e', src, dest),
        (e: unknown) => e instanceof SpecError && re.test(e.message),
      );
    };
    await refused(join(host, 'tree'), `${d}/f`, /^cannot copy the directory .*tree to the file .*\/f inside$/);
    await refused(join(host, 'file'), `${d}/nodir/`, /^destination directory .*\/nodir\/ does not exist inside$/);
    await refused(join(host, 'file'), `${d}/no/such`, /^the directory of .*\/no\/such does not exist inside$/);
    assert.equal(execs.length, 3);
    assert.deepEqual(tree(d), ['f']);
  });

  it('extracts a tar stream into a directory, and refuses one that is not', async () => {
    const { ctx, execs } = fakeEnv();
    const d = fresh();
    const tar = await import('tar');
    await copyToEnv(
      ctx,
      'e',
      Readable.from(tar.c({ cwd: host, portable: true }, ['file']) as AsyncIterable<Buffer>),
      d,
    );
    assert.equal(readFileSync(join(d, 'file'), 'utf8'), 'one\n');
    let reads = 0;
    const unread = new Readable({
      read() {
        reads++;
        this.push(null);
      },
    });
    await assert.rejects(
      copyToEnv(ctx, 'e', unread, `${d}/file`),
      /^SpecError: destination .*\/file must be an existing directory inside$/,
    );
    assert.equal(reads, 0, 'a refused tar stream is not read');
    assert.equal(execs.length, 2);
  });
});

describe('execFed', () => {
  const run = (script: string) => (input: Readable, onStdout: (c: Buffer) => void) =>
    runExecHelper('sh', ['-c', script], { tty: false, interactive: false, env: {}, stdio: 'pipe', input, onStdout });
  const big = () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < 256; i++) yield Buffer.alloc(64 * 1024, i);
      })(),
    );

  it('opens the source only after the command says go', async () => {
    let opened = 0;
    const fed = await execFed(run('exit 81'), () => {
      opened++;
      return big();
    });
    assert.equal(fed.result.exitCode, 81);
    assert.equal(fed.opened, false);
    assert.equal(opened, 0);
  });

  it('passes the whole source on after go', async () => {
    const fed = await execFed(run('echo go; wc -c'), big);
    assert.equal(fed.result.exitCode, 0);
    assert.equal(fed.result.stdout?.toString(), `go\n${256 * 64 * 1024}\n`);
  });

  it('ends quietly when the command stops reading midway', async () => {
    const fed = await execFed(run('echo go; head -c 1000 >/dev/null; exit 3'), big);
    assert.equal(fed.result.exitCode, 3);
    assert.equal(fed.sourceError, undefined);
  });

  it('ends the stdin with a broken block when the source fails', async () => {
    const failing = () =>
      new Readable({
        read() {
          this.destroy(new Error('disk on fire'));
        },
      });
    const fed = await execFed(run('echo go; od -An -tx1 | head -1'), failing);
    assert.equal(fed.sourceError?.message, 'disk on fire');
    assert.match(fed.result.stdout?.toString() ?? '', /ff ff ff/);
  });
});

describe('copy-in script: arguments and refusals', () => {
  it('passes the destination, its directory, the name and the flags', () => {
    const argv = copyInArgv({ dest: '/tmp/x', name: 'tree', sourceIsDir: true, contents: false, trailingSlash: true });
    assert.deepEqual(argv.slice(3), ['copy-in', '/tmp/x', '/tmp', 'tree', 'dir', 'auto', '/']);
    assert.deepEqual(tarInArgv('/srv').slice(3), ['copy-in', '/srv']);
  });

  it('maps each refusal code to its own error and nothing else', () => {
    const msg = (code: number) => copyInRefusal(code, 'SRC', '/p')?.message;
    assert.equal(msg(REFUSED.dirToFile), 'cannot copy the directory SRC to the file /p inside');
    assert.equal(msg(REFUSED.noDestDir), 'destination directory /p does not exist inside');
    assert.equal(msg(REFUSED.noParent), 'the directory of /p does not exist inside');
    assert.equal(msg(REFUSED.notADir), 'destination /p must be an existing directory inside');
    for (const other of [0, 1, 2, 125, 127]) assert.equal(copyInRefusal(other, 'SRC', '/p'), undefined);
  });
});
