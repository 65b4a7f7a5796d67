/**
 * Docker's lifecycle verbs on the container backend, as root and as the test user: create then
 * start (in the background, -a with the command's status, -ai with stdin), restart (the same
 * filesystem, the log goes on), attach (output from now until exit, its status), rename, port.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';

const C = ['--backend', 'container'];

for (const mode of ['root', 'rootless'] as const) {
  describe(`docker lifecycle verbs (${mode})`, { concurrency: 1 }, () => {
    let r: Runner;
    before(() => {
      if (isRoot()) r = makeRunner(mode);
    });
    after(() => r?.cleanup());
    const ok = async (args: string[], input?: string) => {
      const res = await r.run(args, input === undefined ? {} : { input });
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    };

    it('create does not run; start runs it; start -a gives its output and status; -ai passes stdin', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      const id = (await ok(['create', ...C, '--name', 'made', 'busybox', 'sh', '-c', 'echo ran > /ran'])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      assert.match(await ok(['ps', '-a']), /made .*Created/);
      assert.equal(await ok(['start', 'made']), 'made\n');
      assert.equal((await ok(['wait', 'made'])).trim(), '0');
      oneLine125(await r.run(['start', 'made']), /made was started before \(it is exited\)/);

      await ok(['create', ...C, '--name', 'att', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      const a = await r.run(['start', '-a', 'att']);
      assert.deepEqual([a.code, a.stdout, a.stderr], [3, 'out\n', 'err\n']);

      await ok(['create', ...C, '-i', '--name', 'cat', 'busybox', 'cat']);
      const i = await r.run(['start', '-ai', 'cat'], { input: 'typed\n' });
      assert.deepEqual([i.code, i.stdout], [0, 'typed\n'], i.stderr);
      oneLine125(await r.run(['start', '-a', 'made', 'att']), /start -a and -i take one environment/);
    });

    it('restart keeps the filesystem and the log; attach follows until the exit status', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      // Counts its starts in a file of its own filesystem; stays up until /tmp/go exists.
      const script =
        'n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo start $n; until [ -e /tmp/go ]; do echo tick; sleep 0.2; done; echo bye; exit 7';
      await ok(['run', '-d', ...C, '--name', 'rs', 'busybox', 'sh', '-c', script]);
      assert.equal(await ok(['restart', '-t', '1', 'rs']), 'rs\n');
      assert.match(await ok(['ps']), /rs .*Up/);
      assert.equal((await ok(['exec', 'rs', 'cat', '/n'])).trim(), '2');
      const att = r.spawn(['attach', 'rs']);
      let out = '';
      att.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const code = new Promise<number | null>((res) => att.once('close', (c) => res(c)));
      // attach reads from now on: once it passes a tick on, let the command finish.
      await new Promise<void>((res) => att.stdout!.on('data', () => out.includes('tick') && res()));
      await ok(['exec', 'rs', 'touch', '/tmp/go']);
      assert.equal(await code, 7);
      assert.match(out, /bye\n$/);
      assert.doesNotMatch(out, /start/);
      const logs = (await ok(['logs', 'rs'])).replace(/tick\n/g, '');
      assert.equal(logs, 'start 1\nstart 2\nbye\n');
      // Exited: restart starts it again (the /tmp/go it made is still there, so it ends at once).
      await ok(['restart', 'rs']);
      assert.equal((await ok(['wait', 'rs'])).trim(), '7');
      assert.equal((await ok(['logs', 'rs'])).replace(/tick\n/g, ''), 'start 1\nstart 2\nbye\nstart 3\nbye\n');
      oneLine125(await r.run(['attach', 'rs']), /cannot attach to rs: it is exited/);
      oneLine125(await r.run(['attach', '--detach-keys', 'ctrl-pp', 'rs']), /invalid --detach-keys "ctrl-pp"/);
      oneLine125(await r.run(['restart', '-t', '-1', 'rs']), /invalid --time/);
      await ok(['run', '-d', ...C, '--rm', '--name', 'gone', 'busybox', 'sleep', '60']);
      oneLine125(await r.run(['restart', 'gone']), /made with --rm/);
      await ok(['rm', '-f', 'gone']);
    });

    it('rename, and port lists what is published', async (t) => {
      if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
      const port = mode === 'root' ? '18391' : '18392';
      await ok(['run', '-d', ...C, '--name', 'p1', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sleep', '600']);
      await ok(['rename', 'p1', 'p2']);
      oneLine125(await r.run(['inspect', 'p1']), /no such environment: p1/);
      assert.equal(await ok(['port', 'p2']), `80/tcp -> 127.0.0.1:${port}\n`);
      assert.equal(await ok(['port', 'p2', '80/tcp']), `127.0.0.1:${port}\n`);
      oneLine125(await r.run(['port', 'p2', '81']), /no public port '81\/tcp' published for p2/);
      oneLine125(await r.run(['port', 'p2', '80/sctp']), /invalid port "80\/sctp"/);
      await ok(['run', '-d', ...C, '--name', 'other', 'busybox', 'sleep', '600']);
      oneLine125(await r.run(['rename', 'p2', 'other']), /the name "other" is already in use/);
      oneLine125(await r.run(['rename', 'p2', 'bad/name']), /invalid name "bad\/name"/);
      assert.equal(await ok(['port', 'other']), '');
      await ok(['rm', '-f', 'p2', 'other']);
    });
  });
}
