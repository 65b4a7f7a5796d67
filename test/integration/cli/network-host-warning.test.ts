/**
 * `--network host` on a container shares the host's network stack: `run` says so on stderr (not
 * with -q). The CLI decides from the spec the library resolved for the chosen backend (onChoice,
 * ADR 0029), not from the flag's text: chroot, which always shares it, gets no warning.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

const WARNING = /^berth: --network host: the environment shares the host's network stack/m;

for (const mode of ['root', 'rootless'] as const) {
  describe(`--network host warning (${mode})`, { concurrency: 1 }, () => {
    let r: Runner;
    before(() => {
      if (isRoot()) r = makeRunner(mode);
    });
    after(() => r?.cleanup());

    it('a container warns (unless -q); chroot and the default network do not', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      const run = (args: string[]) => r.run(['run', '--rm', ...args, 'busybox', 'true']);
      const container = await run(['--backend', 'container', '--network', 'host']);
      assert.equal(container.code, 0, container.stderr);
      assert.match(container.stderr, WARNING);
      const quiet = await run(['-q', '--backend', 'container', '--network', 'host']);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.doesNotMatch(quiet.stderr, WARNING);
      const chroot = await run(['--backend', 'chroot', '--network', 'host']);
      assert.equal(chroot.code, 0, chroot.stderr);
      assert.doesNotMatch(chroot.stderr, WARNING);
      const plain = await run(['--backend', 'container']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.doesNotMatch(plain.stderr, WARNING);
    });
  });
}
