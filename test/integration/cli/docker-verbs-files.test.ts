/**
 * `berth cp` (Docker's rules, both ways, `-` for a tar stream) and `berth diff` on the container
 * backend, and cp across a restart on uml (a separate kernel: the same exec channel), as root and
 * as the test user. One uml guest per user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeRunner, isRoot, packageDir, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { requireTestMirror } from '../../helpers/test-mirror.js';
import { oneLine125 } from '../../helpers/one-line-error.js';

const VM_MS = 300_000;

for (const mode of ['root', 'rootless'] as const) {
  describe(`docker file verbs (${mode})`, { concurrency: 1 }, () => {
    let r: Runner;
    let host: string;
    before(async () => {
      if (!isRoot()) return;
      r = makeRunner(mode);
      // A host directory of the runner's own user, with a file and a directory tree.
      const made = await r.hostRun('sh', [
        '-c',
        'd=$(mktemp -d) && mkdir -p $d/tree/sub && echo leaf > $d/tree/sub/leaf && echo top > $d/tree/top && echo one > $d/file && echo $d',
      ]);
      host = made.stdout.trim();
    });
    after(async () => {
      if (host) await r.hostRun('rm', ['-rf', host]);
      r?.cleanup();
    });
    const ok = async (args: string[], opts: { timeoutMs?: number } = {}) => {
      const res = await r.run(args, opts);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    };
    const sh = async (script: string) => {
      const res = await r.hostRun('sh', ['-c', script]);
      assert.equal(res.code, 0, res.stderr);
      return res.stdout;
    };

    it('cp in and out on a container: into directories, as new names, DIR/. contents, tar streams', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      await ok(['run', '-d', '--backend', 'container', '--name', 'f', 'busybox', 'sleep', '600']);
      await ok(['cp', `${host}/file`, 'f:/tmp/']);
      await ok(['cp', `${host}/file`, 'f:/tmp/renamed']);
      await ok(['cp', `${host}/tree`, 'f:/tmp/newtree']);
      await ok(['cp', `${host}/tree/.`, 'f:/tmp']);
      await ok(['cp', `${host}/tree`, 'f:tmp']);
      const inside = await ok([
        'exec',
        'f',
        'sh',
        '-c',
        'cd /tmp && find . | sort && cat renamed newtree/sub/leaf top',
      ]);
      assert.equal(
        inside,
        '.\n./file\n./newtree\n./newtree/sub\n./newtree/sub/leaf\n./newtree/top\n./renamed\n./sub\n./sub/leaf\n./top\n./tree\n./tree/sub\n./tree/sub/leaf\n./tree/top\none\nleaf\ntop\n',
      );
      await ok(['cp', 'f:/tmp/newtree', `${host}/out`]);
      await ok(['cp', 'f:/tmp/newtree', `${host}/out`]);
      await ok(['cp', 'f:/etc/hostname', `${host}/out/`]);
      await ok(['cp', 'f:/tmp/newtree/.', `${host}/contents`]);
      const got = await sh(`cd ${host} && find out contents | sort && cat out/sub/leaf && stat -c %U out/newtree/top`);
      const owner = mode === 'root' ? 'root' : 'berth-test';
      assert.equal(
        got,
        `contents\ncontents/sub\ncontents/sub/leaf\ncontents/top\nout\nout/hostname\nout/newtree\nout/newtree/sub\nout/newtree/sub/leaf\nout/newtree/top\nout/sub\nout/sub/leaf\nout/top\nleaf\n${owner}\n`,
      );
      // Tar streams: out to stdout, in from stdin (extracted into a directory).
      const berth = `${process.execPath} ${join(packageDir(), 'dist', 'berth.cjs')}`;
      const tarOut = await r.hostRun('sh', ['-c', `${berth} cp f:/tmp/newtree - | tar -t | sort`]);
      assert.equal(tarOut.stdout, 'newtree/\nnewtree/sub/\nnewtree/sub/leaf\nnewtree/top\n', tarOut.stderr);
      const tarIn = await r.hostRun('sh', ['-c', `tar -c -C ${host} file | ${berth} cp - f:/tmp/newtree`]);
      assert.equal(tarIn.code, 0, tarIn.stderr);
      assert.equal(await ok(['exec', 'f', 'cat', '/tmp/newtree/file']), 'one\n');

      oneLine125(await r.run(['cp', 'f:/nope', `${host}/x`]), /no such file or directory inside: \/nope/);
      oneLine125(await r.run(['cp', `${host}/tree`, 'f:/tmp/renamed']), /cannot copy the directory .* to the file/);
      oneLine125(await r.run(['cp', 'f:/tmp/renamed', `${host}/nodir/`]), /destination directory .* does not exist/);
      oneLine125(await r.run(['cp', `${host}/nope`, 'f:/tmp']), /no such file or directory: /);
      oneLine125(await r.run(['cp', 'f:/tmp', 'g:/tmp']), /between two environments/);
      oneLine125(await r.run(['cp', 'a', 'b']), /neither "a" nor "b" names a path in an environment/);
      oneLine125(await r.run(['cp', 'nosuch:/x', `${host}/x`]), /no such environment: nosuch/);
      oneLine125(await r.run(['cp', '-', 'f:/tmp/renamed'], { input: '' }), /must be an existing directory inside/);
    });

    it('diff lists A/C/D of the upper layer', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      await ok(['run', '-d', '--backend', 'container', '--name', 'd', 'busybox', 'sleep', '600']);
      assert.equal(await ok(['diff', 'd']), '');
      await ok(['exec', 'd', 'sh', '-c', 'echo x > /added && rm /etc/group && mkdir -p /tmp/n && echo y > /tmp/n/f']);
      assert.equal(await ok(['diff', 'd']), 'A /added\nC /etc\nD /etc/group\nC /tmp\nA /tmp/n\nA /tmp/n/f\n');
    });

    it('uml: cp both ways, and the files stay across restart; diff lists them from the disk', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      if (!requireTestMirror(t)) return; // the first uml run resolves its kernel against the mirror
      await ok(['create', '--backend', 'uml', '--name', 'u', 'busybox', 'sleep', '600'], { timeoutMs: VM_MS });
      await ok(['start', 'u'], { timeoutMs: VM_MS });
      await ok(['cp', `${host}/tree`, 'u:/tmp'], { timeoutMs: VM_MS });
      await ok(['restart', '-t', '1', 'u'], { timeoutMs: VM_MS });
      await ok(['cp', 'u:/tmp/tree', `${host}/from-uml`], { timeoutMs: VM_MS });
      assert.equal(await sh(`cat ${host}/from-uml/sub/leaf ${host}/from-uml/top`), 'leaf\ntop\n');
      // The copied tree, read from the disk (diffed against its base disk, as commit does).
      const diff = (await ok(['diff', 'u'], { timeoutMs: VM_MS })).split('\n');
      for (const want of ['C /tmp', 'A /tmp/tree', 'A /tmp/tree/sub/leaf', 'A /tmp/tree/top'])
        assert.ok(diff.includes(want), `diff lists "${want}": ${diff.join(' | ')}`);
      await ok(['rm', '-f', 'u'], { timeoutMs: VM_MS });
    });
  });
}
