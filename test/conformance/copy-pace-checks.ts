/**
 * `berth cp ENV:PATH -` into a reader that stopped reading: berth holds the tar back (the command
 * inside waits on its pipe or the monitor's window) instead of holding it in its own memory, and
 * sends it whole once the reader reads again. The Docker API's GET archive writes its tar the same
 * way (api/env-archive.ts, ExecOptions.onStdout's promise).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Runner } from '../helpers/berth-cli.js';
import { type Check, cliPid, isVm, sleep } from './checks.js';
import { rssOf } from '../helpers/rss.js';

const MiB = 1024 * 1024;
/** The file's size: what berth would hold if it did not wait for its reader. */
const SIZE_MIB = 96;

async function untilReady(r: Runner, name: string): Promise<void> {
  for (let i = 0; ; i++) {
    if ((await r.run(['exec', name, 'test', '-e', '/tmp/ready'])).code === 0) return;
    assert.ok(i < 120, 'the file inside should be written within a minute');
    await sleep(500);
  }
}

export const COPY_PACE_CHECKS: Check[] = [
  {
    name: 'cp ENV:PATH - into a reader that stopped: berth does not buffer the tar, which then comes whole',
    async run(r, b) {
      const name = 'pace';
      const up = await r.run(
        [
          'run',
          '-d',
          '--backend',
          b,
          '--name',
          name,
          'busybox',
          'sh',
          '-c',
          `dd if=/dev/zero of=/tmp/big bs=1M count=${SIZE_MIB} 2>/dev/null && touch /tmp/ready; exec sleep 600`,
        ],
        { timeoutMs: 300_000 },
      );
      assert.equal(up.code, 0, up.stderr);
      let cp: ChildProcess | undefined;
      try {
        await untilReady(r, name);
        const child = r.spawn(['cp', `${name}:/tmp/big`, '-']);
        cp = child;
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        // Every byte counted; the reader stops at the first chunk, as a slow client would.
        let length = 0;
        let stopped = false;
        await new Promise<void>((res) =>
          child.stdout!.on('data', (c: Buffer) => {
            length += c.length;
            if (stopped) return;
            stopped = true;
            child.stdout!.pause();
            res();
          }),
        );
        const pid = cliPid(r, child);
        const before = rssOf(pid);
        // Long enough for the whole file to come through the channel if nothing held it back.
        await sleep(isVm(b) ? 6000 : 3000);
        const grown = rssOf(pid) - before;
        assert.ok(grown < 32 * MiB, `berth grew by ${grown} bytes for a reader that stopped`);
        child.stdout!.resume();
        const code = await new Promise<number | null>((res) => child.once('close', res));
        assert.equal(code, 0, stderr);
        // The tar: the file's bytes and its headers.
        assert.ok(length > SIZE_MIB * MiB && length < (SIZE_MIB + 1) * MiB, `a tar of ${length} bytes`);
      } finally {
        // A failed check leaves no paused copy behind (its reader is gone).
        if (cp && cp.exitCode === null && cp.signalCode === null) {
          cp.stdout!.resume();
          cp.kill('SIGKILL');
        }
        await r.run(['rm', '-f', name], { timeoutMs: 120_000 });
      }
    },
  },
];
