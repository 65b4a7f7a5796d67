/**
 * `berth cp ENV:PATH DEST` (src/api/env-archive.ts copyFromEnv, copy-out-script.ts): one exec that
 * stats, checks and tars, with Docker's rules and refusals as before. The environment is a fake
 * whose exec runs the command on the host (as in copy-in.test.ts); test/integration/cli/
 * docker-verbs-files.test.ts runs it in real environments (busybox).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { copyFromEnv } from '../../../src/api/env-archive.js';
import { copyOutRefusal, OUT_REFUSED, parseCopyOutStat } from '../../../src/api/copy-out-script.js';
import { fakeExecEnv as fakeEnv, writeSampleTree } from './fake-exec-env.js';
import { SpecError } from '../../../src/core/errors.js';

const tree = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('copyFromEnv: one exec', () => {
  let inside: string;
  let host: string;
  before(() => {
    inside = mkdtempSync(join(tmpdir(), 'berth-cpout-env-'));
    writeSampleTree(inside);
    host = mkdtempSync(join(tmpdir(), 'berth-cpout-host-'));
  });
  after(() => {
    rmSync(inside, { recursive: true, force: true });
    rmSync(host, { recursive: true, force: true });
  });

  it("copies with one exec each, by Docker's rules, and returns the stat", async () => {
    const { ctx, execs } = fakeEnv();
    const st = await copyFromEnv(ctx, 'e', join(inside, 'tree'), join(host, 'out'));
    assert.equal(st.dir, true);
    await copyFromEnv(ctx, 'e', join(inside, 'tree'), join(host, 'out'));
    const f = await copyFromEnv(ctx, 'e', join(inside, 'file'), `${host}/out/`);
    assert.deepEqual([f.dir, f.size, f.linkTarget], [false, 4, '']);
    await copyFromEnv(ctx, 'e', `${join(inside, 'tree')}/.`, join(host, 'contents'));
    assert.equal(execs.length, 4);
    assert.deepEqual(tree(host), [
      'contents',
      'contents/sub',
      'contents/sub/leaf',
      'contents/top',
      'out',
      'out/file',
      'out/sub',
      'out/sub/leaf',
      'out/top',
      'out/tree',
      'out/tree/sub',
      'out/tree/sub/leaf',
      'out/tree/top',
    ]);
    assert.equal(readFileSync(join(host, 'out', 'file'), 'utf8'), 'one\n');
  });

  it('writes a tar stream with one exec', async () => {
    const { ctx, execs } = fakeEnv();
    const out = new PassThrough();
    const got: Buffer[] = [];
    out.on('data', (c: Buffer) => got.push(c));
    const st = await copyFromEnv(ctx, 'e', join(inside, 'file'), out);
    assert.equal(st.size, 4);
    assert.equal(execs.length, 1);
    const tar = Buffer.concat(got);
    assert.equal(tar.subarray(0, 4).toString(), 'file');
    assert.match(tar.toString('latin1'), /one\n/);
  });

  it('refuses as before, in the one exec', async () => {
    const { ctx, execs } = fakeEnv();
    writeFileSync(join(host, 'afile'), 'x');
    const refused = async (path: string, dest: string, re: RegExp) => {
      await assert.rejects(
        copyFromEnv(ctx, 'e', path, dest),
        (e: unknown) => e instanceof SpecError && re.test(e.message),
      );
    };
    await refused(join(inside, 'nope'), join(host, 'x'), /^no such file or directory inside: .*\/nope$/);
    await refused(`${join(inside, 'file')}/`, join(host, 'x'), /^.*\/file\/ is not a directory inside$/);
    await refused(join(inside, 'tree'), join(host, 'afile'), /^cannot copy the directory .*tree to the file .*afile$/);
    await refused(join(inside, 'file'), `${host}/nodir/`, /^destination directory .*\/nodir\/ does not exist$/);
    await refused(join(inside, 'file'), join(host, 'no', 'such'), /^the directory of .*\/no\/such does not exist$/);
    await refused(join(inside, 'nope'), join(host, 'no', 'such'), /^no such file or directory inside/);
    assert.equal(execs.length, 6);
    assert.equal(readdirSync(host).filter((n) => n.startsWith('.berth-cp')).length, 0, 'no temp dir is left');
  });
});

describe('copy-out script: refusals and the stat on stderr', () => {
  it('maps each refusal code to its own error and nothing else', () => {
    const msg = (code: number) => copyOutRefusal(code, '/p', 'D')?.message;
    assert.equal(msg(OUT_REFUSED.noSuchPath), 'no such file or directory inside: /p');
    assert.equal(msg(OUT_REFUSED.notADir), '/p is not a directory inside');
    assert.equal(msg(OUT_REFUSED.dirToFile), 'cannot copy the directory /p to the file D');
    assert.equal(msg(OUT_REFUSED.noDestDir), 'destination directory D does not exist');
    assert.equal(msg(OUT_REFUSED.noParent), 'the directory of D does not exist');
    for (const other of [0, 1, 2, 125, 127]) assert.equal(copyOutRefusal(other, '/p', 'D'), undefined);
  });

  it("parses the stat and keeps tar's messages apart", () => {
    const said = parseCopyOutStat('12 81a4 1700000000\n/target\n\ntar: oops\n');
    assert.deepEqual(said?.stat, { size: 12, mode: 0o100644, mtimeSec: 1700000000, linkTarget: '/target', dir: false });
    assert.equal(said?.rest, 'tar: oops\n');
    assert.equal(parseCopyOutStat('sh: stat: not found\n'), undefined);
  });
});
