/** What a test author uses: captured exec, streaming, input, timeouts, copyIn/copyOut, wait strategies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';
import { REPO } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';

for (const backend of ['chroot', 'container'] as const) {
  test(`exec capture, copy and waitFor on ${backend}`, { timeout: 90_000 }, async (t) => {
    if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
      return;
    const root = mkdtempSync(join(tmpdir(), 'berth-ergo-'));
    const host = mkdtempSync(join(tmpdir(), 'berth-ergo-host-'));
    // chroot shares the host's network: a port of its own, on loopback only.
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    try {
      await using env = await berth.create({
        root,
        backend,
        command: ['sh', '-c', `sleep 1; echo server ready; httpd -f -p 127.0.0.1:${port} -h /`],
        waitFor: berth.waitFor.logLine(/server ready/),
        waitTimeoutMs: 20_000,
      });
      // stdout and stderr kept apart, exit code and input.
      const r = await env.exec(['sh', '-c', 'cat; echo err >&2; exit 4'], { input: 'hello\n' });
      assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.timedOut], [4, 'hello\n', 'err\n', false]);
      // env and cwd.
      const e = await env.exec(['sh', '-c', 'echo "$FOO $(pwd)"'], { env: { FOO: 'bar' }, cwd: '/tmp' });
      assert.equal(e.stdout, 'bar /tmp\n');
      // streaming.
      const chunks: string[] = [];
      await env.exec(['sh', '-c', 'echo one; sleep 0.2; echo two'], { onStdout: (c) => chunks.push(c.toString()) });
      assert.equal(chunks.join(''), 'one\ntwo\n');
      // timeout.
      const slow = await env.exec(['sleep', '30'], { timeoutMs: 300 });
      assert.equal(slow.timedOut, true);
      assert.notEqual(slow.exitCode, 0);
      assert.equal(slow.signal, 'SIGTERM', 'a timed-out exec names its signal, as on the VM backends');
      // copyIn / copyOut round trip of a directory.
      mkdirSync(join(host, 'in', 'sub'), { recursive: true });
      writeFileSync(join(host, 'in', 'sub', 'f.txt'), 'payload');
      await env.copyIn(join(host, 'in'), '/data');
      assert.equal((await env.exec(['cat', '/data/in/sub/f.txt'])).stdout, 'payload');
      await env.exec(['sh', '-c', 'echo made inside > /data/in/sub/g.txt']);
      await env.copyOut('/data/in', join(host, 'out'));
      assert.equal(readFileSync(join(host, 'out', 'in', 'sub', 'g.txt'), 'utf8'), 'made inside\n');
      await assert.rejects(
        env.copyOut('/no/such', join(host, 'x')),
        (err: unknown) => err instanceof berth.DriverError && /copyOut of \/no\/such failed/.test(err.message),
      );
      await assert.rejects(
        env.copyIn(join(host, 'missing'), '/data'),
        (err: unknown) => err instanceof berth.SpecError,
      );
      // wait strategies: port and command succeed, a never-true one fails with what it saw.
      await env.waitFor(berth.waitFor.port(port), { timeoutMs: 10_000 });
      await env.waitFor(berth.waitFor.command(['test', '-f', '/data/in/sub/g.txt']), { timeoutMs: 5_000 });
      await assert.rejects(
        env.waitFor(berth.waitFor.port(port + 1), { timeoutMs: 600 }),
        (err: unknown) =>
          err instanceof berth.DriverError && err.code === 'wait-timeout' && err.message.includes(String(port)),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(host, { recursive: true, force: true });
    }
  });
}

test('a wait strategy that times out removes the environment it was creating', { timeout: 60_000 }, async (t) => {
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  const root = mkdtempSync(join(tmpdir(), 'berth-ergo-'));
  try {
    await assert.rejects(
      berth.create({
        root,
        backend: 'chroot',
        command: ['sleep', '60'],
        waitFor: berth.waitFor.logLine(/never/),
        waitTimeoutMs: 500,
      }),
      (e: unknown) =>
        e instanceof berth.DriverError && e.code === 'wait-timeout' && /a log line matching \/never\//.test(e.message),
    );
    assert.equal(berth.list({ root, all: true }).length, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('waitFor on a command that exits says it exited, with its code (issue 20.10)', { timeout: 60_000 }, async (t) => {
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  const root = mkdtempSync(join(tmpdir(), 'berth-ergo-'));
  try {
    await assert.rejects(
      berth.create({
        root,
        backend: 'chroot',
        command: ['sh', '-c', 'exit 3'],
        waitFor: berth.waitFor.port(8080),
        waitTimeoutMs: 30_000,
      }),
      (e: unknown) =>
        e instanceof berth.DriverError &&
        e.code === 'exited-while-waiting' &&
        /the command exited with code 3 while waiting for TCP port 8080/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a string command runs as /bin/sh -c, not letter by letter (issue 20.10)', { timeout: 60_000 }, async (t) => {
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  const root = mkdtempSync(join(tmpdir(), 'berth-ergo-'));
  try {
    const r = await berth.run({ root, backend: 'chroot', command: 'exit $((2 + 3))', autoRemove: true });
    assert.equal(r.exitCode, 5);
    await assert.rejects(
      berth.run({ root, backend: 'chroot', command: [1, 2] as unknown as string[] }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'bad-command',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
