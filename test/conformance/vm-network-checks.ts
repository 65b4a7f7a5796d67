/**
 * `--network user` on the VM backends (uml: slirp with ports carried by the monitor; microvm:
 * QEMU user networking with hostfwd), checked the same way: the guest reaches a server on the
 * host's loopback through its gateway 10.0.2.2, a guest server is reached from the host through
 * -p on 127.0.0.1 (also by a client that half-closes, and on a free port picked for `-p 80`), an occupied port is refused before anything boots, `--network none` has no
 * route out, and nothing (port, process, environment) is left after rm.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { pickedHostPorts } from './small-checks.js';
import { storedEnvs, processesMentioning, type Runner } from '../helpers/berth-cli.js';
import { eventLoopWatch } from '../helpers/loop-watch.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function listenOn(port: number): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => res(s));
  });
}

async function portFree(port: number): Promise<boolean> {
  try {
    const s = await listenOn(port);
    await new Promise((res) => s.close(res));
    return true;
  } catch {
    return false;
  }
}

/** A free port below the ephemeral range (32768-60999), so no client connection takes it meanwhile. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) return port;
  }
}

/**
 * Sends `bytes`, shuts down the sending side, returns everything the server answers until it
 * closes; fails after 60 s naming what came back (a hang would otherwise be the check's timeout).
 */
function halfClose(port: number, bytes: number): Promise<string> {
  return new Promise((res, rej) => {
    const s = connect(port, '127.0.0.1');
    let reply = '';
    let sent = false;
    const timer = setTimeout(() => {
      s.destroy();
      rej(
        new Error(
          `half-closed connection to ${port}: no close after 60 s (sent: ${sent}, got ${JSON.stringify(reply)})`,
        ),
      );
    }, 60_000);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (reply += d));
    s.once('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    s.once('close', () => {
      clearTimeout(timer);
      res(reply);
    });
    s.once('connect', () => s.end(Buffer.alloc(bytes, 7), () => (sent = true)));
  });
}

const GET_TIMEOUT_MS = 30_000;
/** A GET unanswered this long is looked into while it hangs. */
const HANG_NOTICE_MS = 10_000;

/** GET url's body; '' when it fails or takes over 30 s (a relay that never answers is retried, and named). */
async function body(url: string, seen: string[]): Promise<string> {
  const start = Date.now();
  return fetch(url, { signal: AbortSignal.timeout(GET_TIMEOUT_MS) }).then(
    (x) => x.text(),
    (e: Error) => {
      // A timer that fired late because this process stood still is not the network's fault: say so.
      const stood = eventLoopWatch().longest(start);
      seen.push(`${e.name}: ${e.message}${stood ? ` (this process's event loop stood still ${stood.ms} ms)` : ''}`);
      return '';
    },
  );
}

/**
 * For a failure message, on one line: the guest's processes (no kernel threads), its TCP sockets
 * (local, remote, state as /proc/net/tcp has them: 0050 is port 80, 0A listening) and the host's
 * sockets of the published port.
 */
async function hangState(r: Runner, env: string, port: number): Promise<string> {
  const script = "ps -o pid,stat,args | grep -v ' \\['; awk 'NR > 1 { print $2, $3, $4 }' /proc/net/tcp";
  const out = await r.run(['exec', env, 'sh', '-c', script], { timeoutMs: 60_000 });
  const guest = `${out.stdout}${out.stderr}`.replace(/\s+/g, ' ').trim() || `exec exit ${out.code}`;
  const host = spawnSync('ss', ['-tanoi', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' }).stdout;
  return `guest: ${guest}; host: ${host.replace(/\s+/g, ' ').trim()}`;
}

async function assertNothingLeft(r: Runner, what: string): Promise<void> {
  for (let i = 0; i < 50 && processesMentioning(join(r.root, 'envs')).length > 0; i++) await sleep(100);
  assert.deepEqual(storedEnvs(r.root), [], `${what}: no environment may remain`);
  assert.deepEqual(processesMentioning(join(r.root, 'envs')), [], `${what}: no VM process may remain`);
}

export const VM_NETWORK_CHECKS: Check[] = [
  {
    name: "VM --network user: out to the host's loopback through 10.0.2.2, in through -p on 127.0.0.1, an occupied port refused, none has no route",
    async run(r, b) {
      const host = createHttpServer((_req, res) => res.end('from-host\n'));
      await new Promise<void>((res) => host.listen({ host: '127.0.0.1', port: 0 }, res));
      const hostPort = (host.address() as { port: number }).port;
      try {
        const port = await freePort();
        const countPort = await freePort();
        const d = await r.run(
          [
            'run',
            '-d',
            '--backend',
            b,
            '--name',
            'web',
            '--network',
            'user',
            '-p',
            `127.0.0.1:${port}:80`,
            '-p',
            `127.0.0.1:${countPort}:81`,
            // No host port: a free one, picked at creation (Docker's -p 80).
            '-p',
            '80',
            '--',
            'sh',
            '-c',
            'echo hello-from-guest > /tmp/i.html; nc -l -p 81 -e wc -c & exec httpd -f -p 80 -h /tmp',
          ],
          { timeoutMs: 300_000 },
        );
        assert.equal(d.code, 0, d.stderr);
        let page = '';
        const failures: string[] = [];
        let hungState = '';
        const started = Date.now();
        const hung = () => failures.filter((f) => f.startsWith('TimeoutError'));
        for (let i = 0; i < 60 && page === '' && hung().length < 2; i++) {
          const at = Date.now() - started;
          const get = body(`http://127.0.0.1:${port}/i.html`, failures);
          // A hang has not been reproduced by hand: say what the guest and host held while it lasted.
          const slow = await Promise.race([get.then(() => false), sleep(HANG_NOTICE_MS).then(() => true)]);
          if (slow && !hungState) hungState = `GET ${i + 1}, ${at} ms after run -d: ${await hangState(r, 'web', port)}`;
          page = await get;
          if (page === '') await sleep(500);
        }
        // Refused or reset while the guest's server starts is fine, and so is one connection left
        // unanswered: CI saw one, the first GET after run -d, in both modes at once; 24 boots here
        // with over 120 GETs each across the guest server's start saw none. Its cause is not known
        // (hangState says what there was). A second is a failure.
        assert.ok(
          hung().length <= 1,
          `${hung().length} GETs through -p hung for ${GET_TIMEOUT_MS / 1000} s: ${hung().join('; ')}; ${hungState}`,
        );
        assert.equal(page, 'hello-from-guest\n', `GET through -p: ${[...new Set(failures)].join('; ')}`);
        const [picked] = await pickedHostPorts(r, 'web', [80]);
        assert.equal(
          await body(`http://127.0.0.1:${picked}/i.html`, failures),
          'hello-from-guest\n',
          failures.join('; '),
        );
        // A client that half-closes (sends, shuts down its side, then reads) still gets the answer;
        // 3 MB spans several of uml's 1 MiB bulk files and the guest relay's 1 MiB reads.
        assert.equal((await halfClose(countPort, 3_000_000)).trim(), '3000000');
        const out = await r.run(
          ['exec', 'web', 'timeout', '20', 'wget', '-q', '-O', '-', `http://10.0.2.2:${hostPort}/`],
          { timeoutMs: 60_000 },
        );
        assert.equal(out.stdout, 'from-host\n', out.stderr);
        const addr = await r.run(['exec', 'web', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
        assert.match(addr.stdout, /inet 10\.0\.2\.15\/24/);
        // The port is taken now: a second VM asking for it is refused before it boots.
        const taken = await r.run([
          'run',
          '--rm',
          '--backend',
          b,
          '--network',
          'user',
          '-p',
          `127.0.0.1:${port}:80`,
          '--',
          'true',
        ]);
        assert.equal(taken.code, 125, taken.stderr);
        assert.match(taken.stderr, new RegExp(`^berth: host port 127\\.0\\.0\\.1:${port}/tcp is already in use`));
        assert.equal(taken.stderr.trim().split('\n').length, 1);
        assert.equal((await r.run(['rm', '-f', 'web'])).code, 0);
        await assertNothingLeft(r, 'after the network check');
        // rm released the port.
        let released = false;
        for (let i = 0; i < 50 && !(released = await portFree(port)); i++) await sleep(100);
        assert.ok(
          released,
          `rm -f left 127.0.0.1:${port} taken: ${spawnSync('ss', ['-tanp', `sport = :${port}`], { encoding: 'utf8' }).stdout}`,
        );
        // --network none: loopback only, no route to the host.
        const none = await r.run(
          [
            'run',
            '--rm',
            '--backend',
            b,
            '--',
            'sh',
            '-c',
            `ip -4 route; ip -o link | grep -v ' lo:' | wc -l; timeout 10 wget -q -O - http://10.0.2.2:${hostPort}/ || echo unreachable`,
          ],
          { timeoutMs: 300_000 },
        );
        assert.equal(none.code, 0, none.stderr);
        assert.equal(none.stdout, '0\nunreachable\n');
      } finally {
        host.close();
      }
    },
  },
];
