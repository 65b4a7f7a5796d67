/**
 * Output into a closed pipe ends berth quietly, as it ends `yes | head`: killed by SIGPIPE
 * (the shell's 141), nothing on stderr. Before: an unhandled EPIPE stack trace and exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRunner, type Mode, type Runner } from '../../helpers/berth-cli.js';

/** Run berth, take its first output bytes, then close the pipe as `head -c` does. */
function readThenClose(
  r: Runner,
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string; got: number }> {
  return new Promise((res, rej) => {
    const child = r.spawn(args);
    let stderr = '';
    let got = 0;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.once('data', (d: Buffer) => {
      got = d.length;
      child.stdout!.destroy();
    });
    child.once('error', rej);
    child.once('close', (code, signal) => res({ code, signal, stderr, got }));
  });
}

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`a closed stdout ends berth quietly (${mode})`, { timeout: 180_000 }, async () => {
    const r = makeRunner(mode);
    try {
      const run = await r.run(['run', '-d', '--name', 'talker', '--', 'sh', '-c', 'yes abc | head -c 300000']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal((await r.run(['wait', 'talker'])).stdout, '0\n');
      const id = (await r.run(['ps', '-a', '-q'])).stdout.trim();
      for (const args of [
        ['logs', 'talker'],
        ['inspect', ...Array<string>(300).fill(id)],
      ]) {
        const o = await readThenClose(r, args);
        assert.ok(o.got > 0, `${args[0]}: some output first`);
        // As root berth itself dies of SIGPIPE; as the test user runuser reports it as 141 and
        // prints its own "Broken pipe" line.
        if (mode === 'root') assert.equal(o.signal, 'SIGPIPE', `${args[0]}: ${o.code} ${o.stderr}`);
        else assert.equal(o.code, 141, `${args[0]}: ${o.stderr}`);
        assert.equal(o.stderr.replace(/^Broken pipe\n$/, mode === 'root' ? '\0' : ''), '', `${args[0]}: quiet`);
      }
    } finally {
      r.cleanup();
    }
  });
}
