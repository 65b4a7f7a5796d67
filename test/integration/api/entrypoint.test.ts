/** The library's `entrypoint`: Docker's rules through create(), the resolved command recorded, bad input refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';
import { REPO, isRoot } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { APP, imageConfigArchive } from '../../helpers/image-config-archive.js';

const envsOf = (root: string) => (existsSync(join(root, 'envs')) ? readdirSync(join(root, 'envs')) : []);

test("create({ entrypoint }) replaces the image's ENTRYPOINT and drops its CMD; exec is unaffected", {
  timeout: 180_000,
}, async (t) => {
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  // The test image has files owned by uid 1000: rootless, that needs sub-ids; as root it does not.
  if (!requireThat(t, isRoot(), 'root (the test image is built with chown)')) return;
  const root = mkdtempSync(join(tmpdir(), 'berth-lib-ep-'));
  try {
    const image = await imageConfigArchive();
    {
      await using env = await berth.create({
        root,
        backend: 'chroot',
        image,
        entrypoint: ['/bin/sh', '-c'],
        command: ['echo lib:$FOO:$(id -u):$(pwd); exec sleep 600'],
        waitFor: berth.waitFor.logLine(/^lib:/),
        waitTimeoutMs: 60_000,
      });
      const rec = berth.inspect(env.name, { root }).record;
      assert.deepEqual(rec.command, {
        entrypoint: ['/bin/sh', '-c'],
        cmd: ['echo lib:$FOO:$(id -u):$(pwd); exec sleep 600'],
        argv: ['/bin/sh', '-c', 'echo lib:$FOO:$(id -u):$(pwd); exec sleep 600'],
      });
      const lines: string[] = [];
      for await (const r of env.logs()) lines.push(r.text);
      assert.deepEqual(lines, [`lib:${APP.foo}:${APP.uid}:${APP.workdir}`]);
      const ex = await env.exec(['echo', 'no-entrypoint']);
      assert.equal(ex.stdout, 'no-entrypoint\n', ex.stderr);
      assert.equal(berth.list({ root })[0]?.command.join(' '), rec.command.argv.join(' '));
    }
    await assert.rejects(
      berth.create({ root, backend: 'chroot', image, entrypoint: [] }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'no-command' && e.exitCode === 125,
    );
    await assert.rejects(
      berth.create({ root, backend: 'chroot', image, entrypoint: '/bin/sh' as unknown as string[] }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'bad-entrypoint',
    );
    assert.deepEqual(envsOf(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
