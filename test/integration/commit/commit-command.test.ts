/**
 * `berth commit` records the environment's ENTRYPOINT and CMD as Docker's commit does (the
 * container's config: run arguments become CMD, --entrypoint the ENTRYPOINT), so running the
 * committed image without arguments runs what the environment ran; ENV, WORKDIR and USER stay
 * the image's. Root only (the library is called in-process against the runner's store).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { APP, imageConfigArchive } from '../../helpers/image-config-archive.js';
import { makeContext } from '../../../src/api/context.js';
import { commitEnv } from '../../../src/api/commit.js';
import { BlobStore } from '../../../src/images/store/blob-store.js';

interface OciConfig {
  config: { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[]; WorkingDir?: string; User?: string };
}

describe('berth commit keeps ENTRYPOINT and CMD consistent (chroot, as root)', () => {
  let r: Runner | undefined;
  before(() => {
    if (isRoot()) r = makeRunner('root');
  });
  after(() => r?.cleanup());

  it("run arguments become CMD under the image's ENTRYPOINT; --entrypoint becomes ENTRYPOINT", {
    timeout: 300_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), "root (reads the environment's upper dir in-process)")) return;
    const run = r!;
    const img = await imageConfigArchive();
    const ctx = makeContext({ root: run.root });
    const store = new BlobStore(ctx.paths.images);
    const configOf = (digest: string) =>
      store.readJson<OciConfig>(store.readJson<{ config: { digest: string } }>(digest).config.digest).config;

    const a = await run.run(
      ['run', '--name', 'ca', '--backend', 'chroot', img, 'echo committed:$FOO:$(id -u):$(pwd)'],
      { timeoutMs: 180_000 },
    );
    assert.equal(a.code, 0, a.stderr);
    const ia = await commitEnv(ctx, 'ca', 'epcommit:1');
    const ca = configOf(ia.digest);
    assert.deepEqual(ca.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(ca.Cmd, ['echo committed:$FOO:$(id -u):$(pwd)']);
    assert.equal(ca.WorkingDir, APP.workdir);
    assert.equal(ca.User, 'app');
    assert.ok(ca.Env?.includes(`FOO=${APP.foo}`));
    const ra = await run.run(['run', '--rm', '--backend', 'chroot', 'epcommit:1']);
    assert.equal(ra.stdout, `committed:${APP.foo}:${APP.uid}:${APP.workdir}\n`, ra.stderr);

    const b = await run.run(['run', '--name', 'cb', '--backend', 'chroot', '--entrypoint', '/bin/echo', img, 'hi']);
    assert.equal(b.stdout, 'hi\n', b.stderr);
    const ib = await commitEnv(ctx, 'cb', 'epcommit:2');
    const cb = configOf(ib.digest);
    assert.deepEqual(cb.Entrypoint, ['/bin/echo']);
    assert.deepEqual(cb.Cmd, ['hi']);
    const rb = await run.run(['run', '--rm', '--backend', 'chroot', 'epcommit:2', 'there']);
    assert.equal(rb.stdout, 'there\n', rb.stderr);

    // --entrypoint '' with arguments: no ENTRYPOINT in the committed image, the arguments as CMD.
    const c = await run.run(['run', '--name', 'cc', '--backend', 'chroot', '--entrypoint', '', img, 'echo', 'plain']);
    assert.equal(c.stdout, 'plain\n', c.stderr);
    const cc = configOf((await commitEnv(ctx, 'cc', 'epcommit:3')).digest);
    assert.ok(cc.Entrypoint === undefined || cc.Entrypoint === null, JSON.stringify(cc.Entrypoint));
    assert.deepEqual(cc.Cmd, ['echo', 'plain']);
  });

  it('-e variables of the environment are in the committed image (issue 20.10)', { timeout: 300_000 }, async (t) => {
    if (!requireThat(t, isRoot(), "root (reads the environment's upper dir in-process)")) return;
    const run = r!;
    const img = await imageConfigArchive();
    const ctx = makeContext({ root: run.root });
    const store = new BlobStore(ctx.paths.images);
    const e = await run.run([
      'run',
      '--name',
      'ce',
      '--backend',
      'chroot',
      '-e',
      'FOO=from-run',
      '-e',
      'NEW=1',
      img,
      'true',
    ]);
    assert.equal(e.code, 0, e.stderr);
    const d = (await commitEnv(ctx, 'ce', 'envcommit:1')).digest;
    const env = store.readJson<OciConfig>(store.readJson<{ config: { digest: string } }>(d).config.digest).config.Env;
    assert.ok(env?.includes('FOO=from-run') && !env.includes(`FOO=${APP.foo}`), JSON.stringify(env));
    assert.ok(env?.includes('NEW=1'), JSON.stringify(env));
    const again = await run.run(['run', '--rm', '--backend', 'chroot', 'envcommit:1', 'echo $FOO $NEW']);
    assert.equal(again.stdout, 'from-run 1\n', again.stderr);
  });
});
