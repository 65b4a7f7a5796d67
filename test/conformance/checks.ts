/**
 * The conformance checks every backend must pass, written once against the CLI.
 * Each check gets a runner (root or rootless) and the backend name.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, readFileSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, hostname } from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Runner } from '../helpers/berth-cli.js';
import { collect, storedEnvs, mountsMentioning, processesMentioning } from '../helpers/berth-cli.js';

export interface Check {
  name: string;
  run(r: Runner, backend: string): Promise<void>;
  /** Backends the check is meaningful for (default: all). */
  appliesTo?: (backend: string) => boolean;
}

/** Backends that boot their own kernel: an attached run's VM does not outlive its CLI (watchdog). */
export const isVm = (backend: string) => backend === 'uml' || backend === 'microvm';

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The (first) child process of `pid`, from /proc. */
export function childOf(pid: number): number | undefined {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] === String(pid)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** The berth CLI's own process of CHILD (the rootless runner starts it under setpriv or runuser). */
export function cliPid(r: Runner, child: ChildProcess): number {
  const pid = r.mode === 'root' ? child.pid : childOf(child.pid!);
  assert.ok(pid, 'the berth process');
  return pid;
}

export async function psJson(
  r: Runner,
): Promise<{ id: string; name: string; status: { state: string; exit?: { exitCode: number } } }[]> {
  const res = await r.run(['ps', '-a', '--format', 'json']);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout);
}

/** Nothing of this runner's environments may remain: no dirs, processes or mounts. */
export async function assertNothingLeft(r: Runner): Promise<void> {
  assert.deepEqual(storedEnvs(r.root), [], 'state store should be empty');
  assert.deepEqual(mountsMentioning(r.root), [], 'no host mount may remain');
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], 'no process may remain');
}

/** A host dir the runner's user can read and write (for -v checks). */
function sharedDir(r: Runner): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-vol-'));
  chmodSync(d, 0o777);
  writeFileSync(join(d, 'hello.txt'), 'from host\n');
  chmodSync(join(d, 'hello.txt'), 0o666);
  void r;
  return d;
}

export const CHECKS: Check[] = [
  {
    name: 'exit status and stdout/stderr separation',
    async run(r, b) {
      const res = await r.run(['run', '--rm', '--backend', b, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
      assert.equal(res.stdout, 'out\n');
      assert.equal(res.stderr, 'err\n');
      assert.equal(res.code, 7);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'default image and command-not-found / not-executable statuses',
    async run(r, b) {
      const nf = await r.run(['run', '--rm', '--backend', b, 'busybox', 'no-such-command']);
      assert.equal(nf.code, 127, nf.stderr);
      assert.match(nf.stderr, /no-such-command/);
      const ne = await r.run(['run', '--rm', '--backend', b, '--', '/etc/passwd']);
      assert.equal(ne.code, 126, ne.stderr);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'environment variables, workdir, user and hostname',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '-e',
        'FOO=bar baz',
        '-w',
        '/work/dir',
        '-u',
        '1000:1001',
        '--hostname',
        'box1',
        '--',
        'sh',
        '-c',
        'echo "$FOO"; pwd; id -u; id -g; hostname; cat /etc/hostname',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'bar baz\n/work/dir\n1000\n1001\nbox1\nbox1\n');
      const def = await r.run(['run', '--rm', '--backend', b, '--', 'cat', '/etc/hostname']);
      assert.equal(def.code, 0, def.stderr);
      assert.notEqual(def.stdout.trim(), hostname());
      assert.match(def.stdout.trim(), /^[0-9a-f]{12}$/);
    },
  },
  {
    name: 'copy-on-write: writes inside never reach the image',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'touch /bin/x && echo changed > /etc/os-release && rm /bin/ls && ls -d /bin/x',
      ]);
      assert.equal(res.code, 0, res.stderr);
      const again = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'test ! -e /bin/x && test -e /bin/ls && grep -q busybox /etc/os-release',
      ]);
      assert.equal(again.code, 0, again.stderr);
      const images = join(r.root, 'images');
      const found = spawnSync('find', [images, '-name', 'x', '-path', '*/bin/x'], { encoding: 'utf8' });
      assert.equal(found.stdout, '', 'the image must not contain /bin/x');
    },
  },
  {
    name: 'devices, proc and a read-only sys',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--rm',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'for d in null zero full random urandom tty; do test -c /dev/$d || exit 10; done; echo x > /dev/null || exit 11; ' +
          'head -c 4 /dev/zero | wc -c; test -d /dev/pts || exit 12; test -r /proc/self/status || exit 13; ' +
          'if touch /sys/berth-probe 2>/dev/null; then exit 14; fi; echo ok',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '4\nok\n');
    },
  },
  {
    name: 'bind mounts, read-write and read-only',
    // microvm has no host directory sharing yet (it refuses -v with a typed error: bind-checks.ts).
    // A uml boot on a loaded host can take over the runner's default 60 s: the runs get 300 s.
    appliesTo: (b) => b !== 'microvm',
    async run(r, b) {
      const d = sharedDir(r);
      try {
        const rw = await r.run(
          [
            'run',
            '--rm',
            '--backend',
            b,
            '-v',
            `${d}:/data`,
            '--',
            'sh',
            '-c',
            'cat /data/hello.txt; echo back > /data/out.txt',
          ],
          { timeoutMs: 300_000 },
        );
        assert.equal(rw.code, 0, rw.stderr);
        assert.equal(rw.stdout, 'from host\n');
        assert.equal(readFileSync(join(d, 'out.txt'), 'utf8'), 'back\n');
        const ro = await r.run(
          [
            'run',
            '--rm',
            '--backend',
            b,
            '-v',
            `${d}:/data:ro`,
            '--',
            'sh',
            '-c',
            'cat /data/hello.txt && ! touch /data/nope 2>/dev/null',
          ],
          { timeoutMs: 300_000 },
        );
        assert.equal(ro.code, 0, ro.stderr);
        assert.equal(existsSync(join(d, 'nope')), false);
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'logs are kept after exit, per stream, with --tail',
    async run(r, b) {
      const res = await r.run([
        'run',
        '--backend',
        b,
        '--name',
        'logcheck',
        '--',
        'sh',
        '-c',
        'echo one; echo two >&2; echo three; printf partial',
      ]);
      assert.equal(res.code, 0, res.stderr);
      const logs = await r.run(['logs', 'logcheck']);
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, 'one\nthree\npartial');
      assert.equal(logs.stderr, 'two\n');
      const tail = await r.run(['logs', '--tail', '1', 'logcheck']);
      assert.equal(tail.stdout, 'partial');
      const ps = await psJson(r);
      const me = ps.find((e) => e.name === 'logcheck');
      assert.equal(me?.status.state, 'exited');
      assert.equal(me?.status.exit?.exitCode, 0);
      assert.equal((await r.run(['rm', 'logcheck'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'detach, exec, logs -f, stop and rm',
    async run(r, b) {
      // -i: attach passes stdin on; the command reads one line of it.
      const d = await r.run([
        'run',
        '-d',
        '-i',
        '--backend',
        b,
        '--name',
        'bg',
        '--',
        'sh',
        '-c',
        'echo started; trap "echo bye; exit 3" TERM; read line; echo got-$line; while true; do sleep 0.1; done',
      ]);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /^[0-9a-f]{64}\n$/);
      const ps = await psJson(r);
      assert.equal(ps.find((e) => e.name === 'bg')?.status.state, 'running');
      const ex = await r.run(['exec', 'bg', '--', 'sh', '-c', 'echo in-$(hostname); echo e >&2; exit 4']);
      assert.equal(ex.code, 4, ex.stderr);
      assert.equal(ex.stdout, `in-${d.stdout.slice(0, 12)}\n`);
      assert.equal(ex.stderr, 'e\n');
      // As Docker's exec: a -w that does not exist is not created; exit 126 naming the cause.
      const noDir = await r.run(['exec', '-w', '/no/such/dir', 'bg', '--', 'pwd']);
      assert.equal(noDir.code, 126, noDir.stderr);
      assert.match(noDir.stderr, /^berth: chdir to cwd "\/no\/such\/dir" failed: No such file or directory \(/);
      assert.equal(noDir.stderr.trim().split('\n').length, 1, noDir.stderr);
      assert.equal(noDir.stdout, '');
      const absent = await r.run(['exec', 'bg', '--', 'ls', '-d', '/no/such/dir', '/no/such', '/no']);
      assert.notEqual(absent.code, 0, `exec -w created the directory: ${absent.stdout}`);
      assert.equal(absent.stdout, '');
      // attach: what is typed reaches the command (--no-stdin: not), output from now on, the exit status.
      const attach = (args: string[], input: string) => {
        const c = r.spawn(['attach', ...args, 'bg']);
        const out = { stdout: '', stderr: '', code: new Promise<number | null>((res) => c.once('close', res)) };
        c.stdout!.setEncoding('utf8').on('data', (t: string) => (out.stdout += t));
        c.stderr!.setEncoding('utf8').on('data', (t: string) => (out.stderr += t));
        c.stdin!.write(input);
        return out;
      };
      const silent = attach(['--no-stdin'], 'ignored\n');
      const typing = attach([], 'typed\n');
      for (let i = 0; i < 1200 && !typing.stdout.includes('got-typed'); i++) await sleep(50);
      assert.equal(typing.stdout, 'got-typed\n', typing.stderr);
      const follower = r.run(['logs', '-f', 'bg']);
      await sleep(200);
      const st = await r.run(['stop', '-t', '5', 'bg']);
      assert.equal(st.code, 0, st.stderr);
      const f = await follower;
      assert.equal(f.stdout, 'started\ngot-typed\nbye\n');
      assert.deepEqual([await typing.code, typing.stdout], [3, 'got-typed\nbye\n'], typing.stderr);
      assert.equal(await silent.code, 3, silent.stderr);
      assert.doesNotMatch(silent.stdout, /ignored/);
      const after = (await psJson(r)).find((e) => e.name === 'bg');
      assert.equal(after?.status.state, 'exited');
      assert.equal(after?.status.exit?.exitCode, 3);
      const notRunning = await r.run(['exec', 'bg', 'true']);
      assert.equal(notRunning.code, 125);
      assert.equal((await r.run(['rm', 'bg'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'rm refuses a running environment without -f; rm -f kills it',
    async run(r, b) {
      const d = await r.run(['run', '-d', '--backend', b, '--name', 'busy', '--', 'sleep', '1000']);
      assert.equal(d.code, 0, d.stderr);
      const no = await r.run(['rm', 'busy']);
      assert.equal(no.code, 125);
      assert.match(no.stderr, /running/);
      assert.equal((await r.run(['rm', '-f', 'busy'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'signals sent to berth reach the command',
    async run(r, b) {
      // A shell loop of builtins: the trap runs between iterations without depending on guest timers
      // (a TCG microvm guest was once seen with stalled timers, where `sleep 0.1` never returned).
      const child = r.spawn([
        'run',
        '--rm',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 5" TERM; echo ready; while :; do :; done',
      ]);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
      // Up to a minute: a VM backend boots a kernel first (slow on a loaded host); others are ready at once.
      for (let i = 0; i < 1200 && !out.includes('ready'); i++) await sleep(50);
      assert.match(out, /ready/);
      // Signal the berth CLI process itself: our child as root; under runuser, runuser's child.
      const node = r.mode === 'root' ? child.pid : childOf(child.pid!);
      assert.ok(node, 'berth CLI process found');
      process.kill(node!, 'SIGTERM');
      const code = await new Promise<number | null>((res) => child.once('close', (c) => res(c)));
      assert.equal(out, 'ready\ngot-term\n');
      assert.equal(code, 5);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'an interactive terminal gets a real pty',
    async run(r, b) {
      const { cmd, args, env } = r.argv([
        'run',
        '--rm',
        '-it',
        '--backend',
        b,
        '--',
        'sh',
        '-c',
        'tty; test -t 0 && echo is-a-tty; echo "$TERM"',
      ]);
      const line = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      // Not spawnSync: a VM's boot would stop this process's event loop, and with it the other
      // mode's check running side by side (a GET of the network check timed out so).
      const res = await collect(spawn('script', ['-qec', line, '/dev/null'], { env }), '', 60_000);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /\/dev\/pts\/\d+/);
      assert.match(res.stdout, /is-a-tty/);
      assert.match(res.stdout, /xterm/);
    },
  },
  {
    name: 'Ctrl-P Ctrl-Q detaches an -it session and the command keeps running',
    async run(r, b) {
      const { cmd, args, env } = r.argv([
        'run',
        '-it',
        '--backend',
        b,
        '--name',
        'att',
        '--',
        'sh',
        '-c',
        'echo attached; sleep 1000',
      ]);
      const line = [
        'stty',
        'cols',
        '80',
        'rows',
        '24;',
        ...[cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`),
      ].join(' ');
      const child = spawn('script', ['-qec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const closed = new Promise<number | null>((res) => child.once('close', (c) => res(c)));
      for (let i = 0; i < 1200 && !out.includes('attached'); i++) await sleep(50);
      child.stdin!.write('\x10\x11');
      const code = await Promise.race([closed, sleep(15_000).then(() => 'timeout')]);
      assert.equal(code, 0, `berth should exit 0 on detach: ${out}`);
      assert.match(out, /detached from att/);
      child.stdin!.end();
      const ps = await psJson(r);
      assert.equal(ps.find((e) => e.name === 'att')?.status.state, 'running');
      const ex = await r.run(['exec', 'att', '--', 'echo', 'still-here']);
      assert.equal(ex.stdout, 'still-here\n', ex.stderr);
      assert.equal((await r.run(['rm', '-f', 'att'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: '-dit gives a detached command a terminal (24x80) whose output is logged',
    async run(r, b) {
      const d = await r.run([
        'run',
        '-dit',
        '--backend',
        b,
        '--name',
        'dtty',
        '--',
        'sh',
        '-c',
        'tty; stty size; sleep 1000',
      ]);
      assert.equal(d.code, 0, d.stderr);
      // Bounded by time, so a failure shows what the log holds rather than timing the test out.
      let logs = '';
      for (const end = Date.now() + 60_000; Date.now() < end && !/\n\d+ \d+/.test(logs); ) {
        await sleep(50);
        logs = (await r.run(['logs', 'dtty'])).stdout;
      }
      assert.match(logs, /^\/dev\/pts\/\d+\r?\n24 80/);
      assert.equal((await r.run(['rm', '-f', 'dtty'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'stdin reaches the command with -i, a large input too, and the environment still answers after it',
    async run(r, b) {
      const res = await r.run(['run', '--rm', '-i', '--backend', b, '--', 'sh', '-c', 'tr a-z A-Z'], {
        input: 'hello\n',
      });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'HELLO\n');
      // 1 MiB through exec -i (a VM's control line once stalled after 6000 bytes), then another exec.
      const input = createHash('sha256')
        .update('seed')
        .digest('hex')
        .repeat(1 << 14);
      const d = await r.run(['run', '-d', '--backend', b, '--name', 'stdin-big', '--', 'sleep', '600'], {
        timeoutMs: 300_000,
      });
      assert.equal(d.code, 0, d.stderr);
      const big = await r.run(['exec', '-i', 'stdin-big', 'md5sum'], { input, timeoutMs: 300_000 });
      assert.equal(big.code, 0, big.stderr);
      assert.equal(big.stdout.split(' ')[0], createHash('md5').update(input).digest('hex'));
      const after = await r.run(['exec', 'stdin-big', 'echo', 'still-here'], { timeoutMs: 60_000 });
      assert.equal(after.stdout, 'still-here\n', after.stderr);
      assert.equal((await r.run(['rm', '-f', 'stdin-big'])).code, 0);
      await assertNothingLeft(r);
    },
  },
  {
    name: 'bad input: one line, exit 125, nothing left in the store',
    async run(r, b) {
      const cases: [string[], RegExp][] = [
        // Loopback only: nothing listens on port 9, so the pull is refused at once.
        [['run', '--backend', b, '127.0.0.1:9/no-such-image:1', 'true'], /cannot reach registry 127\.0\.0\.1:9/],
        [['run', '--backend', b, 'Bad Ref!', 'true'], /invalid image reference "Bad Ref!"/],
        [['run', '--backend', 'nosuch', '--', 'true'], /invalid --backend "nosuch"/],
        [['run', '--backend', b, '--'], /missing command/],
        [['run', '--backend', b, '-v', '/no/such/path:/x', '--', 'true'], /\/no\/such\/path does not exist/],
        [['run', '--backend', b, '--memory', 'lots', '--', 'true'], /invalid --memory value "lots"/],
        [['run', '--backend', b, '--bogus-flag', '--', 'true'], /unknown option --bogus-flag/],
        [['run', '--backend', b, '--cap-add', 'NOPE', '--', 'true'], /unknown capability "NOPE"/],
        [['exec', 'no-such-env', '--', 'true'], /no such environment: no-such-env/],
        [['rm', 'no-such-env'], /no such environment/],
      ];
      for (const [args, re] of cases) {
        const res = await r.run(args);
        assert.equal(res.code, 125, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, re);
        assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
        assert.match(res.stderr, /^berth: /);
        assert.equal(res.stdout, '');
      }
      await assertNothingLeft(r);
    },
  },
  {
    name: 'a killed CLI leaves a consistent state that rm -f cleans up',
    async run(r, b) {
      // Kill the CLI at several points of `run -d` and of a foreground run.
      for (const delay of [0, 40, 80, 150, 300]) {
        const child = r.spawn(['run', '-d', '--backend', b, '--', 'sleep', '1000']);
        const closed = new Promise((res) => child.once('close', res));
        await sleep(delay);
        child.kill('SIGKILL');
        if (r.mode === 'rootless') {
          // runuser relays nothing on SIGKILL: kill the node process itself.
          for (const l of processesMentioning(r.root)) {
            const pid = Number(l.split(' ')[0]);
            if (l.includes('dist/berth.cjs'))
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                /* gone */
              }
          }
        }
        await closed;
      }
      const fg = r.spawn(['run', '--backend', b, '--name', 'fg', '--', 'sleep', '1000']);
      // Killed once it runs (a fixed sleep lost that race on a loaded machine).
      for (let i = 0; i < 600; i++) {
        if ((await psJson(r)).some((e) => e.name === 'fg' && e.status.state === 'running')) break;
        await sleep(100);
      }
      // The berth CLI itself: our child as root; under runuser, runuser's child (its argv does not name r.root).
      const cli = r.mode === 'root' ? fg.pid : childOf(fg.pid!);
      fg.kill('SIGKILL');
      if (cli)
        try {
          process.kill(cli, 'SIGKILL');
        } catch {
          /* gone */
        }
      for (const l of processesMentioning(r.root)) {
        if (l.includes('dist/berth.cjs'))
          try {
            process.kill(Number(l.split(' ')[0]), 'SIGKILL');
          } catch {
            /* gone */
          }
      }
      await sleep(100);
      let ps = await psJson(r);
      if (isVm(b)) {
        // The watchdog takes the VM of an attached run down when its CLI dies (or the CLI died
        // before it started one: then the environment stays 'created', or was never recorded).
        const fgState = () => ps.find((e) => e.name === 'fg')?.status;
        for (let i = 0; i < 100 && fgState()?.state === 'running'; i++) {
          await sleep(100);
          ps = await psJson(r);
        }
        assert.ok(
          ['created', 'exited', 'none'].includes(fgState()?.state ?? 'none'),
          `the watchdog stopped the foreground VM: ${JSON.stringify(fgState())}`,
        );
        if (fgState()?.state === 'exited') assert.equal(fgState()?.exit?.exitCode, 137);
      }
      for (const e of ps) assert.ok(['created', 'running', 'exited'].includes(e.status.state), JSON.stringify(e));
      if (!isVm(b))
        assert.ok(
          ps.some((e) => e.status.state === 'running'),
          'the foreground one keeps running',
        );
      for (const e of ps) {
        const rm = await r.run(['rm', '-f', e.id]);
        assert.equal(rm.code, 0, rm.stderr);
      }
      // Half-created leftovers with no record are swept by rm -f of nothing? They must not exist at all.
      const left = storedEnvs(r.root).filter((id) => !existsSync(join(r.root, 'envs', id, 'config.json')));
      for (const id of left)
        assert.fail(`half-created environment dir left: ${id} (${readdirSync(join(r.root, 'envs', id))})`);
      await assertNothingLeft(r);
    },
  },
];
