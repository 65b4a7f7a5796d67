/**
 * `berth serve` driven by real clients, on the container backend as root and as the test user
 * (its default socket under its own XDG_RUNTIME_DIR): the Debian docker CLI (run --rm, run -d -p
 * with docker port, logs, exec, ps --filter label=, cp both ways, rm -f, pull from a loopback
 * registry, images, network ls, bad input) and the testcontainers library (GenericContainer with
 * an exposed port, a log and a listening-port wait, exec, copy, logs, stop). Everything runs in
 * a network namespace the test makes; stopping the server leaves no socket file and no process.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  writeFileSync,
  mkdirSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import { isRoot } from '../../helpers/berth-cli.js';
import { makeNetns, type TestNetns } from '../../helpers/netns.js';
import { requireThat } from '../../helpers/requirements.js';
import { bytesReadBy, rssOf } from '../../helpers/rss.js';
import { api, putStream, stalledRequest, stdoutOf } from './api-client.js';
import {
  DOCKER,
  cleanupDir,
  serveIn,
  startNsRegistry,
  type NsRegistry,
  type Served,
  type Session,
} from './fixtures.js';

/**
 * The shell in SESSION sees its terminal as ROWS_COLS ("33 101") within 5 s: the client's resize
 * request may land just after the shell started. Fails if it never does.
 */
async function sized(session: Session, rowsCols: string): Promise<void> {
  session.type(
    `i=0; while [ "$(stty size)" != "${rowsCols}" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; echo size-$((40+2)) $(stty size)\n`,
  );
  const want = session.seen(`size-42 ${rowsCols}`).then(
    () => true,
    () => false,
  );
  await session.seen('size-42 ').catch(() => undefined);
  const ok = await Promise.race([want, new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
  assert.ok(ok, `the terminal never became ${rowsCols}`);
}

let ns: TestNetns | undefined;
let registry: NsRegistry | undefined;
let work = '';
let missing: string | undefined;

before(async () => {
  if (!isRoot()) missing = 'root (the test makes a network namespace)';
  else if (!existsSync(DOCKER)) missing = 'the docker CLI (apt-get install docker.io; dockerd is never started)';
  else if (spawnSync('sh', ['-c', 'command -v docker-registry && command -v skopeo']).status !== 0)
    missing = 'docker-registry and skopeo';
  if (missing) return;
  work = mkdtempSync(join(tmpdir(), 'berth-docker-api-'));
  spawnSync('chmod', ['755', work]);
  ns = makeNetns();
  registry = await startNsRegistry(ns, work);
});

after(() => {
  registry?.stop();
  ns?.remove();
  if (work) cleanupDir(work);
});

for (const mode of ['root', 'rootless'] as const) {
  describe(`docker CLI and testcontainers through berth serve (container backend, ${mode})`, () => {
    let s: Served | undefined;
    before(async () => {
      if (!missing) s = await serveIn(ns!, mode, 'container');
    });
    after(async () => {
      await s?.stop();
      s?.runner.cleanup();
    });

    it('run --rm prints and exits with the command status; the socket is 0600', { timeout: 120_000 }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      assert.equal(statSync(s!.socket).mode & 0o777, 0o600);
      const hi = await s!.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
      assert.equal(hi.stdout, 'hi\n', hi.stderr);
      assert.equal(hi.code, 0);
      const st = await s!.docker(['run', '--rm', 'docker.io/library/busybox:latest', 'sh', '-c', 'echo e >&2; exit 7']);
      assert.equal(st.code, 7);
      assert.equal(st.stderr, 'e\n');
      const left = await s!.docker(['ps', '-a', '-q']);
      assert.equal(left.stdout, '', 'run --rm removed its container');
    });

    it('run -d -p, port, logs, exec, ps --filter label, cp both ways, rm of a running one, stop, rm -f', {
      timeout: 120_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      const d = await s!.docker([
        'run',
        '-d',
        '--name',
        'web',
        '--label',
        'suite=docker-api',
        '-p',
        '127.0.0.1::8080',
        'busybox',
        'sh',
        '-c',
        'mkdir -p /www && echo page > /www/index.html && echo started && exec httpd -f -p 8080 -h /www',
      ]);
      assert.equal(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const port = await s!.docker(['port', 'web', '8080']);
      const m = /^127\.0\.0\.1:(\d+)$/m.exec(port.stdout);
      assert.ok(m, port.stdout + port.stderr);
      let page = '';
      for (let i = 0; i < 100 && page !== 'page\n'; i++) {
        page = ns!.sh(['busybox', 'wget', '-q', '-O-', `http://127.0.0.1:${m[1]}/`]).stdout;
        if (page !== 'page\n') await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(page, 'page\n');
      const logs = await s!.docker(['logs', id.slice(0, 12)]);
      assert.equal(logs.stdout, 'started\n', logs.stderr);
      const ex = await s!.docker(['exec', 'web', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([ex.code, ex.stdout, ex.stderr], [3, 'out\n', 'err\n']);
      const piped = await s!.docker(['exec', '-i', 'web', 'cat'], 'through stdin\n');
      assert.equal(piped.stdout, 'through stdin\n', piped.stderr);
      const ps = await s!.docker(['ps', '--filter', 'label=suite=docker-api', '--format', '{{.Names}} {{.Ports}}']);
      assert.match(ps.stdout, /^web 127\.0\.0\.1:\d+->8080\/tcp\n$/);
      assert.equal((await s!.docker(['ps', '-q', '--filter', 'label=suite=other'])).stdout, '');
      // cp in and out (the files belong to the test user when rootless)
      const host = mkdtempSync(join(work, `cp-${mode}-`));
      mkdirSync(join(host, 'dir'));
      writeFileSync(join(host, 'dir', 'f.txt'), 'from host\n');
      spawnSync('chmod', ['-R', 'a+rwX', host]);
      const cpIn = await s!.docker(['cp', join(host, 'dir'), 'web:/tmp/']);
      assert.equal(cpIn.code, 0, cpIn.stderr);
      assert.equal((await s!.docker(['exec', 'web', 'cat', '/tmp/dir/f.txt'])).stdout, 'from host\n');
      const diff = (await s!.docker(['diff', 'web'])).stdout.split('\n');
      for (const want of ['C /tmp', 'A /tmp/dir', 'A /tmp/dir/f.txt'])
        assert.ok(diff.includes(want), `docker diff lists "${want}": ${diff.join(' | ')}`);
      const cpOut = await s!.docker(['cp', 'web:/www/index.html', join(host, 'out.html')]);
      assert.equal(cpOut.code, 0, cpOut.stderr);
      assert.equal(readFileSync(join(host, 'out.html'), 'utf8'), 'page\n');
      const absent = await s!.docker(['cp', 'web:/no/such', join(host, 'x')]);
      assert.notEqual(absent.code, 0);
      assert.match(absent.stderr, /No such container:path: web:\/no\/such/);
      const busy = await s!.docker(['rm', 'web']);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /You cannot remove a running container/);
      const stop = await s!.docker(['stop', '-t', '1', 'web']);
      assert.equal(stop.code, 0, stop.stderr);
      const status = await s!.docker(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']);
      assert.match(status.stdout, /^Exited \(\d+\) /);
      const rm = await s!.docker(['rm', '-f', 'web']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal((await s!.docker(['ps', '-a', '-q'])).stdout, '');
    });

    it('cp of 8 MiB both ways, a tar stream over 64 MiB in, refusals of a file and a missing path, a client that stops reading', {
      timeout: 120_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      const run = await s!.docker(['run', '-d', '--name', 'files', 'busybox', 'sleep', '600']);
      t.after(() => s!.docker(['rm', '-f', 'files']));
      assert.equal(run.code, 0, run.stderr);
      const host = mkdtempSync(join(work, `big-${mode}-`));
      writeFileSync(join(host, 'big'), randomBytes(8 << 20));
      spawnSync('chmod', ['-R', 'a+rwX', host]);
      const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
      const cpIn = await s!.docker(['cp', join(host, 'big'), 'files:/tmp/']);
      assert.equal(cpIn.code, 0, cpIn.stderr);
      const cpOut = await s!.docker(['cp', 'files:/tmp/big', join(host, 'back')]);
      assert.equal(cpOut.code, 0, cpOut.stderr);
      assert.equal(sha(join(host, 'back')), sha(join(host, 'big')));
      // DIR/. is the directory's contents, DIR the directory (one exec each, the stat first).
      await s!.docker(['exec', 'files', 'sh', '-c', 'mkdir -p /tmp/d/sub && echo a > /tmp/d/sub/a']);
      for (const [from, to] of [
        ['/tmp/d/.', 'contents'],
        ['/tmp/d', 'whole'],
      ] as const) {
        const out = await s!.docker(['cp', `files:${from}`, join(host, to)]);
        assert.equal(out.code, 0, out.stderr);
        assert.equal(readFileSync(join(host, to, 'sub', 'a'), 'utf8'), 'a\n');
      }
      // A body over 64 MiB (once the limit of a buffered body), made as it is sent: streamed into tar.
      const size = (64 << 20) + 4096;
      const header = new Header({ path: 'zeros', mode: 0o644, size, mtime: new Date(0), type: 'File' });
      header.encode();
      const chunks = function* () {
        yield header.block!;
        for (let left = size; left > 0; left -= 1 << 20) yield Buffer.alloc(Math.min(left, 1 << 20));
        yield Buffer.alloc(1024);
      };
      const put = await putStream(s!.socket, '/containers/files/archive?path=/tmp', Readable.from(chunks()));
      assert.equal(put.status, 200, put.body.toString());
      assert.equal((await s!.docker(['exec', 'files', 'wc', '-c', '/tmp/zeros'])).stdout.trim(), `${size} /tmp/zeros`);
      // Refused by the server in its one exec: a file (400) and a missing path (404), and so by the CLI.
      const tiny = () => Readable.from([Buffer.alloc(1024)]);
      const onFile = await putStream(s!.socket, '/containers/files/archive?path=/tmp/big', tiny());
      assert.equal(onFile.status, 400, onFile.body.toString());
      assert.match(onFile.body.toString(), /extraction point is not a directory/);
      const onMissing = await putStream(s!.socket, '/containers/files/archive?path=/no/such', tiny());
      assert.equal(onMissing.status, 404, onMissing.body.toString());
      const intoFile = await s!.docker(['cp', join(host, 'big'), 'files:/tmp/big/']);
      assert.notEqual(intoFile.code, 0);
      assert.match(intoFile.stderr, /no such directory|not a directory/i);
      assert.equal((await s!.docker(['exec', 'files', 'wc', '-c', '/tmp/big'])).stdout.trim(), `${8 << 20} /tmp/big`);
      const intoMissing = await s!.docker(['cp', join(host, 'big'), 'files:/no/such/dir/']);
      assert.notEqual(intoMissing.code, 0);
      assert.match(intoMissing.stderr, /no such/i);
      // A client that stopped reading, for GET archive and for an exec's output stream: the server
      // holds the bytes back inside rather than in its own memory, then sends them whole.
      assert.equal(
        (await s!.docker(['exec', 'files', 'dd', 'if=/dev/zero', 'of=/tmp/z96', 'bs=1M', 'count=96'])).code,
        0,
      );
      const stalled = async (method: string, path: string, body?: unknown) => {
        const rssBefore = rssOf(s!.pid);
        let grown = 0;
        const r = await stalledRequest(s!.socket, method, path, body, async () => {
          await new Promise((res) => setTimeout(res, 3000));
          grown = rssOf(s!.pid) - rssBefore;
        });
        assert.equal(r.status, 200);
        assert.ok(grown < 32 << 20, `the server grew by ${grown} bytes for a client that stopped reading (${path})`);
        return r.length;
      };
      const tar = await stalled('GET', '/containers/files/archive?path=/tmp/z96');
      assert.ok(tar > 96 << 20 && tar < 97 << 20, `a tar of ${tar} bytes`);
      const made = await api(s!.socket, 'POST', '/containers/files/exec', {
        Cmd: ['cat', '/tmp/z96'],
        AttachStdout: true,
      });
      assert.equal(made.status, 201, made.body.toString());
      const execId = (made.json() as { Id: string }).Id;
      // Multiplexed: 8 bytes of header a frame.
      const framed = await stalled('POST', `/exec/${execId}/start`, { Detach: false, Tty: false });
      assert.ok(framed > 96 << 20 && framed < 97 << 20, `an exec stream of ${framed} bytes`);
      // Its stderr as well.
      const madeErr = await api(s!.socket, 'POST', '/containers/files/exec', {
        Cmd: ['sh', '-c', 'cat /tmp/z96 >&2'],
        AttachStderr: true,
      });
      assert.equal(madeErr.status, 201, madeErr.body.toString());
      const errId = (madeErr.json() as { Id: string }).Id;
      const framedErr = await stalled('POST', `/exec/${errId}/start`, { Detach: false, Tty: false });
      assert.ok(framedErr > 96 << 20 && framedErr < 97 << 20, `an exec stderr stream of ${framedErr} bytes`);
      // The logs stream too: a full log (Docker's 3 files of 10 MiB), read by a client that stopped.
      const loud = await s!.docker([
        'run',
        '-d',
        '--name',
        'loud',
        'busybox',
        'sh',
        '-c',
        'dd if=/dev/zero bs=1M count=96 2>/dev/null; echo done; sleep 600',
      ]);
      assert.equal(loud.code, 0, loud.stderr);
      for (let i = 0; !(await s!.docker(['logs', '--tail', '1', 'loud'])).stdout.includes('done'); i++) {
        assert.ok(i < 600, 'the log never got its last line');
        await new Promise((res) => setTimeout(res, 100));
      }
      // The log is read from disk as the client takes it: while it stops, the server reads little of
      // the log's 30 MiB (the whole log, read at once, once grew it by 18 MB).
      let readWhileStopped = 0;
      const readBefore = bytesReadBy(s!.pid);
      const logged = await stalledRequest(
        s!.socket,
        'GET',
        '/containers/loud/logs?stdout=1&stderr=1',
        undefined,
        async () => {
          await new Promise((res) => setTimeout(res, 3000));
          readWhileStopped = bytesReadBy(s!.pid) - readBefore;
        },
      );
      assert.equal(logged.status, 200);
      assert.ok(logged.length > 20 << 20 && logged.length < 31 << 20, `a logs stream of ${logged.length} bytes`);
      assert.ok(
        readWhileStopped < 8 << 20,
        `the server read ${readWhileStopped} bytes for a client that stopped reading`,
      );
      assert.equal((await s!.docker(['rm', '-f', 'loud'])).code, 0);
    });

    it('pull from a loopback registry streams progress; images lists it; it runs', { timeout: 120_000 }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      const pull = await s!.docker(['pull', registry!.image]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, /Digest: sha256:[0-9a-f]{64}/);
      const images = await s!.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.match(images.stdout, new RegExp(`^${registry!.image.replace(/[.]/g, '\\.')}$`, 'm'));
      const os = await s!.docker(['run', '--rm', registry!.image, 'cat', '/etc/os-release']);
      assert.equal(os.stdout, 'NAME="berth docker-api test"\n', os.stderr);
      const nets = await s!.docker(['network', 'ls', '--format', '{{.Name}}']);
      assert.deepEqual(nets.stdout.trim().split('\n').sort(), ['bridge', 'host', 'none']);
    });

    it('bad input gets Docker-shaped errors and the server keeps serving', { timeout: 120_000 }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      const absentImage = await s!.docker(['pull', `${registry!.host}/test/absent:1`]);
      assert.notEqual(absentImage.code, 0);
      assert.equal(absentImage.stderr.trim().split('\n').length, 1, absentImage.stderr);
      const noSuch = await s!.docker(['logs', 'no-such-container']);
      assert.equal(noSuch.code, 1);
      assert.match(noSuch.stderr, /No such container: no-such-container/);
      const bind = await s!.docker(['run', '--rm', '-v', '/no/such/dir:/x', 'busybox', 'true']);
      assert.notEqual(bind.code, 0);
      assert.match(bind.stderr, /bind source path does not exist: \/no\/such\/dir/);
      const malformed = spawnSync(
        'curl',
        [
          '-s',
          '--unix-socket',
          s!.socket,
          '-H',
          'Content-Type: application/json',
          '-d',
          '{bad',
          'http://d/v1.44/containers/create',
        ],
        { encoding: 'utf8' },
      );
      assert.match(malformed.stdout, /^\{"message":"invalid JSON in the request body/);
      // A client that goes away mid-attach: the container and the server carry on.
      const attach = await s!.docker([
        'run',
        '-d',
        '--name',
        'talker',
        'busybox',
        'sh',
        '-c',
        'while :; do echo x; sleep 0.1; done',
      ]);
      assert.equal(attach.code, 0, attach.stderr);
      const gone = spawnSync(DOCKER, ['attach', 'talker'], {
        env: { ...process.env, DOCKER_HOST: s!.dockerHost },
        timeout: 1000,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
      });
      assert.match(gone.stdout, /^x\n/);
      const alive = await s!.docker(['inspect', '-f', '{{.State.Running}}', 'talker']);
      assert.equal(alive.stdout, 'true\n');
      assert.equal((await s!.docker(['rm', '-f', 'talker'])).code, 0);
      assert.equal((await s!.docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout, '1.44\n');
    });

    // As the test user only (the user-namespace case): 50 containers cost 7-25 s of this 2-core
    // host by its load, and root's run of the same server code adds no other path.
    if (mode === 'rootless')
      it('50 concurrent testcontainers-style create/start/exec/rm cycles all succeed and leave nothing', {
        timeout: 300_000,
      }, async (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        const sock = s!.socket;
        const cycle = async (i: number) => {
          const made = await api(sock, 'POST', '/containers/create', {
            Image: 'busybox',
            Cmd: ['sleep', '600'],
            Labels: { 'berth.test': 'concurrent' },
          });
          assert.equal(made.status, 201, made.body.toString());
          const id = (made.json() as { Id: string }).Id;
          const started = await api(sock, 'POST', `/containers/${id}/start`);
          assert.equal(started.status, 204, started.body.toString());
          const ex = await api(sock, 'POST', `/containers/${id}/exec`, {
            Cmd: ['echo', `cycle ${i}`],
            AttachStdout: true,
            AttachStderr: true,
          });
          const execId = (ex.json() as { Id: string }).Id;
          const out = await api(sock, 'POST', `/exec/${execId}/start`, { Detach: false, Tty: false });
          assert.equal(stdoutOf(out.body), `cycle ${i}\n`);
          assert.equal(((await api(sock, 'GET', `/exec/${execId}/json`)).json() as { ExitCode: number }).ExitCode, 0);
          const rm = await api(sock, 'DELETE', `/containers/${id}?force=1&v=1`);
          assert.equal(rm.status, 204, rm.body.toString());
          return id;
        };
        const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => cycle(i)));
        assert.equal(new Set(ids).size, 50);
        const listed = await api(sock, 'GET', '/containers/json?all=1');
        assert.deepEqual(listed.json(), []);
        for (const id of ids) {
          assert.equal(existsSync(join(s!.runner.root, 'envs', id)), false, `state of ${id} is left`);
        }
        // No cgroup is checked: `ip netns exec` mounts a /sys of its own without the cgroup
        // controllers, so berth serve in the test's namespace makes none (limits are refused there).
        // Every monitor runs with its state directory (under the store) on its command line.
        assert.equal(spawnSync('pgrep', ['-f', s!.runner.root]).status, 1, 'no process of the store is left');
        assert.equal((await api(sock, 'GET', '/_ping')).body.toString(), 'OK');
      });

    it('run -it, exec -it and attach on a terminal (under script), detach keys, run -i with a pipe', {
      timeout: 120_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      // docker run -it: typed lines reach the shell on its terminal, which the client's resize
      // requests size (the monitor's size file); Ctrl-P Ctrl-Q leaves it running.
      const run = s!.terminal(['run', '-it', '--name', 'tty', 'busybox', 'sh'], { rows: 33, cols: 101 });
      run.type('tty; echo run-$((3*3))\n');
      await run.seen('run-9');
      await sized(run, '33 101');
      run.type('\x10\x11');
      const detached = await run.done(false);
      assert.equal(detached.code, 0, detached.stdout + detached.stderr);
      assert.match(detached.stdout, /\/dev\/pts\/0\r?\n/);
      assert.equal((await s!.docker(['inspect', '-f', '{{.State.Running}}', 'tty'])).stdout, 'true\n');
      // docker exec -it: a terminal of its own with the client's size, its exit code is the CLI's.
      const ex = s!.terminal(['exec', '-it', 'tty', 'sh'], { rows: 40, cols: 120 });
      ex.type('echo exec-$((2+3))\n');
      await ex.seen('exec-5');
      await sized(ex, '40 120');
      ex.type('exit 7\n');
      assert.equal((await ex.done()).code, 7);
      // A client that goes away mid-attach (stdin and output): the server lets go of the log and
      // of the command's stdin; the command runs on.
      const log = join(s!.runner.root, 'envs', (await s!.docker(['inspect', '-f', '{{.Id}}', 'tty'])).stdout.trim());
      const held = () =>
        readdirSync(`/proc/${s!.pid}/fd`)
          .map((fd) => {
            try {
              return readlinkSync(`/proc/${s!.pid}/fd/${fd}`);
            } catch {
              return '';
            }
          })
          .filter((target) => target.startsWith(log));
      const gone = s!.terminal(['attach', 'tty']);
      gone.type('echo attached-$((1+1))\n');
      await gone.seen('attached-2');
      assert.deepEqual(
        held()
          .map((f) => f.slice(log.length))
          .sort(),
        ['/ctr.log', '/stdin'],
      );
      spawnSync('pkill', ['-KILL', '-f', `${DOCKER} attach tty`]);
      await gone.done();
      for (let i = 0; i < 200 && held().length > 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(held(), [], 'the server holds nothing of the container after the client went');
      // An exec -it client that goes away: its shell gets SIGHUP (as from a closed terminal).
      const shells = async () =>
        (await s!.docker(['exec', 'tty', 'ps', '-o', 'args'])).stdout.split('\n').filter((l) => l.trim() === 'sh')
          .length;
      const hung = s!.terminal(['exec', '-it', 'tty', 'sh']);
      hung.type('echo second-$((4+4))\n');
      await hung.seen('second-8');
      assert.equal(await shells(), 2);
      spawnSync('pkill', ['-KILL', '-f', `${DOCKER} exec -it tty sh`]);
      await hung.done();
      for (let i = 0; i < 100 && (await shells()) > 1; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await shells(), 1, 'the exec shell of a client that went is gone');
      // docker attach again: the same shell; its exit is the CLI's.
      const again = s!.terminal(['attach', 'tty']);
      again.type('exit 4\n');
      assert.equal((await again.done()).code, 4);
      assert.equal((await s!.docker(['rm', 'tty'])).code, 0);
      // docker run -i with a pipe: stdin to the command, EOF at its end.
      const piped = await s!.docker(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo done'], 'piped\n');
      assert.deepEqual([piped.code, piped.stdout], [0, 'piped\ndone\n'], piped.stderr);
    });

    // The server's backend (container), then uml through a berth.backend label: the same client, the same checks.
    for (const uml of [false, true]) {
      it(uml
        ? 'testcontainers on uml (a berth.backend label): the same waits, port, exec, copies and stop'
        : 'testcontainers: exposed port with log and listening-port waits, exec, copy, logs, stop', {
        timeout: uml ? 420_000 : 200_000,
      }, async (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        if (uml && !requireThat(t, existsSync('/usr/bin/linux.uml'), 'the user-mode-linux package (linux.uml)')) return;
        const r = await s!.testcontainers(registry!.image, uml ? 'uml' : undefined);
        assert.equal(r.code, 0, r.stderr);
        const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
        assert.equal(got.http, 'copied before start\n');
        assert.deepEqual([got.exec.exitCode, got.exec.stdout, got.exec.stderr], [3, 'out\n', 'err\n']);
        assert.equal(got.copied, 'copied in\n');
        assert.match(got.logs, /ready/);
        assert.match(got.id, /^[0-9a-f]{64}$/);
        assert.equal(got.uml, uml, uml ? 'a User-mode Linux kernel answered' : 'the server backend (container)');
        const left = await s!.docker(['ps', '-a', '-q', '--filter', 'label=berth.test=testcontainers']);
        assert.equal(left.stdout, '', 'stop() removed the container');
      });
    }

    // uml as root and as the normal user (a separate kernel with no privilege at all), on one boot each:
    // a terminal and stdin through the VM monitor, the held command and the Docker settings kept
    // across a server restart, resize requests reaching the guest's terminals.
    it('a berth.backend=uml label: create -it, cp before start, a server restart, start -ai, exec -it, attach, detach keys', {
      timeout: 300_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      if (!requireThat(t, existsSync('/usr/bin/linux.uml'), 'the user-mode-linux package (linux.uml)')) return;
      // Created with a terminal and stdin, a file copied in before start (the archive endpoint holds the command).
      const d = await s!.docker([
        'create',
        '-it',
        '--name',
        'vm',
        '--label',
        'berth.backend=uml',
        // The packaged kernel: nothing is fetched (the namespace has no way out).
        '--label',
        'berth.kernel=/usr/bin/linux.uml',
        'busybox',
        'sh',
        '-c',
        'cat /tmp/pre.txt; grep -m1 vendor_id /proc/cpuinfo; exec sh',
      ]);
      assert.equal(d.code, 0, d.stderr);
      const pre = join(mkdtempSync(join(work, 'uml-cp-')), 'pre.txt');
      writeFileSync(pre, 'copied before start\n');
      spawnSync('chmod', ['-R', 'a+rX', join(pre, '..')]);
      const cp = await s!.docker(['cp', pre, 'vm:/tmp/']);
      assert.equal(cp.code, 0, cp.stderr);
      assert.equal((await s!.docker(['logs', 'vm'])).stdout, '', 'the command waits for start');
      // A new server knows the container is held and what it was created with.
      await s!.restart();
      const created = await s!.docker([
        'inspect',
        '-f',
        '{{.State.Status}} {{.Config.Tty}} {{.Config.OpenStdin}} {{.Path}}',
        'vm',
      ]);
      assert.equal(created.stdout, 'created true true sh\n', created.stderr);
      // docker start -ai (as docker run -it: attached before start): its own command runs, typed
      // lines reach the shell on the guest's terminal, sized as the client's; Ctrl-P Ctrl-Q leaves it running.
      const run = s!.terminal(['start', '-ai', 'vm'], { rows: 33, cols: 101 });
      await run.seen('User Mode Linux');
      run.type('echo run-$((3*3)) $(tty) $(stty size)\n');
      await run.seen('run-9 /dev/pts/0 33 101');
      run.type('\x10\x11');
      const detached = await run.done(false);
      assert.equal(detached.code, 0, detached.stdout + detached.stderr);
      assert.match(detached.stdout, /^copied before start\r?\nvendor_id\s*: User Mode Linux/);
      assert.equal((await s!.docker(['inspect', '-f', '{{.State.Running}}', 'vm'])).stdout, 'true\n');
      const ex = await s!.docker(['exec', 'vm', 'sh', '-c', 'grep -c "User Mode Linux" /proc/cpuinfo']);
      assert.equal(ex.stdout, '1\n', ex.stderr);
      assert.equal((await s!.docker(['inspect', '-f', '{{.Driver}}', 'vm'])).stdout, 'berth-uml\n');
      // The disk, diffed against its base (as commit does): the file copied in is there (once: it pauses and copies the disk).
      if (mode === 'rootless') {
        const diff = await s!.docker(['diff', 'vm']);
        assert.ok(
          diff.stdout.split('\n').includes('A /tmp/pre.txt'),
          `docker diff on uml: ${diff.stdout}${diff.stderr}`,
        );
      }
      // docker exec -it: a terminal of its own with the client's size; its exit code is the CLI's.
      const tty = s!.terminal(['exec', '-it', 'vm', 'sh'], { rows: 40, cols: 120 });
      tty.type('echo exec-$((2+3))\n');
      await tty.seen('exec-5');
      tty.type('echo size $(stty size) $(tty)\n');
      await tty.seen('size 40 120 /dev/pts/1');
      tty.type('exit 7\n');
      assert.equal((await tty.done()).code, 7);
      // docker attach: the same shell, its exit is the CLI's.
      const again = s!.terminal(['attach', 'vm']);
      again.type('echo again-$((2*2))\n');
      await again.seen('again-4');
      again.type('exit 4\n');
      assert.equal((await again.done()).code, 4);
      assert.equal((await s!.docker(['rm', 'vm'])).code, 0);
    });

    it('stopping the server removes its socket and leaves no process', { timeout: 60_000 }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      const { code, stderr } = await s!.stop();
      assert.equal(code, 0, stderr);
      assert.equal(existsSync(s!.socket), false);
      const left = spawnSync('pgrep', [
        '-f',
        `serve --backend container${mode === 'root' ? ` --socket ${s!.socket}` : ''}`,
      ]);
      assert.equal(left.status, 1, 'no berth serve process is left');
    });
  });
}
