/**
 * `berth logs` at volume and byte for byte, on every backend (issue 17 item 8, issue 20 item 6).
 *
 * Volume: both streams, across log rotations (10 MiB x 3 files by default), and more records
 * than an array spread can take (~125,000; before: "Maximum call stack size exceeded").
 * chroot and container write 30 MB (2 x 2,000,000 numbered lines: ~4M records, ~190 MB of log
 * of which the last 30 MiB are kept). The VMs carry output over a slow guest channel (~0.5 MB/s
 * on uml), so they write 2 x 150,000 lines (~2 MB, ~300,000 records, ~14 MB of log): still one
 * rotation, and a rotated file of ~230,000 records.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storedEnvs, type Runner } from '../helpers/berth-cli.js';
import type { Check } from './checks.js';

const isVm = (b: string) => b === 'uml' || b === 'microvm';

/** Run berth; stdout and stderr as bytes. */
function runBytes(
  r: Runner,
  args: string[],
  timeoutMs = 300_000,
): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }> {
  return new Promise((res, rej) => {
    const child = r.spawn(args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`berth ${args.join(' ')} timed out; stderr: ${Buffer.concat(err).toString().slice(-500)}`));
    }, timeoutMs);
    child.stdin!.end();
    child.once('error', rej);
    child.once('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

const lineCount = (s: string) => s.split('\n').length - 1;

/** The numbered lines of one stream: the first one may be the end of a line rotated away. */
function assertConsecutive(text: string, last: number, what: string): number {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', `${what} ends with a newline`);
  const nums = lines.slice(1).map(Number);
  assert.ok(nums.length > 1000, `${what}: ${nums.length} lines`);
  for (let i = 1; i < nums.length; i++) {
    if (nums[i] !== nums[i - 1]! + 1)
      assert.fail(`${what}: line ${nums[i - 1]} is followed by ${JSON.stringify(lines[i + 1])}`);
  }
  assert.equal(nums.at(-1), last, `${what} ends with the last line written`);
  return nums[0]!;
}

export const LOG_CHECKS: Check[] = [
  {
    name: 'logs: both streams across rotations, in full and --tail',
    async run(r, b) {
      const n = isVm(b) ? 150_000 : 2_000_000;
      const run = await r.run(
        [
          'run',
          '-d',
          '--name',
          'chatty',
          '--backend',
          b,
          '--',
          'sh',
          '-c',
          `seq 1 ${n} & seq 1 ${n} >&2; wait; echo END`,
        ],
        { timeoutMs: 300_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const w = await r.run(['wait', 'chatty'], { timeoutMs: 600_000 });
      if (w.stdout !== '0\n') {
        const env = storedEnvs(r.root).map((d) => join(r.root, 'envs', d))[0] ?? '';
        const tail = (f: string) => (existsSync(join(env, f)) ? readFileSync(join(env, f), 'utf8').slice(-1500) : '');
        assert.fail(
          `the command ended with ${w.stdout.trim()} ${w.stderr}; state: ${tail('exit.json')} ${tail('state.json')}; monitor: ${tail('monitor.err')}; console: ${tail('console.log')}`,
        );
      }
      assert.ok(
        storedEnvs(r.root).some((d) => existsSync(join(r.root, 'envs', d, 'ctr.log.1'))),
        'the log rotated',
      );

      const all = await runBytes(r, ['logs', 'chatty']);
      assert.equal(all.code, 0, all.stderr.toString());
      const out = all.stdout.toString('latin1');
      assert.ok(out.endsWith(`${n}\nEND\n`), `stdout ends with its last lines: ${JSON.stringify(out.slice(-40))}`);
      const firstOut = assertConsecutive(out.slice(0, -'END\n'.length), n, 'stdout');
      const firstErr = assertConsecutive(all.stderr.toString('latin1'), n, 'stderr');
      // Containers and chroots wrote far more than is kept: the start was rotated away.
      if (!isVm(b)) assert.ok(firstOut > 1 && firstErr > 1, `the oldest lines were dropped (${firstOut}, ${firstErr})`);

      // The monitor reads the two pipes in its own order: which stream wrote the last record is
      // not known, but each stream's part of a tail is the end of that stream.
      for (const n of [1, 1000]) {
        const t = await runBytes(r, ['logs', '--tail', String(n), 'chatty']);
        assert.equal(t.code, 0, t.stderr.toString());
        const [tOut, tErr] = [t.stdout.toString('latin1'), t.stderr.toString('latin1')];
        assert.equal(lineCount(tOut) + lineCount(tErr), n, `--tail ${n}: ${n} lines over both streams`);
        assert.ok(out.endsWith(tOut), `--tail ${n}: stdout is the end of stdout: ${JSON.stringify(tOut.slice(-40))}`);
        assert.ok(
          all.stderr.toString('latin1').endsWith(tErr),
          `--tail ${n}: stderr is the end of stderr: ${JSON.stringify(tErr.slice(-40))}`,
        );
      }
      const rm = await r.run(['rm', '-f', 'chatty']);
      assert.equal(rm.code, 0, rm.stderr);
    },
  },
  {
    name: 'logs: byte-exact (invalid UTF-8, NUL), live and from the log',
    async run(r, b) {
      // \377\376\000abc: not UTF-8; stderr ends mid-line in a cut UTF-8 character
      const script = "printf '\\377\\376\\000abc\\n'; printf 'x\\342\\202' >&2";
      const want = {
        out: Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x62, 0x63, 0x0a]),
        err: Buffer.from([0x78, 0xe2, 0x82]),
      };
      const live = await runBytes(r, ['run', '--name', 'bytes', '--backend', b, '--', 'sh', '-c', script]);
      assert.equal(live.code, 0, live.stderr.toString());
      assert.deepEqual(live.stdout, want.out, 'live stdout');
      assert.deepEqual(live.stderr, want.err, 'live stderr');
      for (const args of [
        ['logs', 'bytes'],
        ['logs', '--tail', '5', 'bytes'],
      ]) {
        const logs = await runBytes(r, args);
        assert.equal(logs.code, 0, logs.stderr.toString());
        assert.deepEqual(logs.stdout, want.out, `${args.join(' ')}: stdout`);
        assert.deepEqual(logs.stderr, want.err, `${args.join(' ')}: stderr`);
      }
      const rm = await r.run(['rm', '-f', 'bytes']);
      assert.equal(rm.code, 0, rm.stderr);
    },
  },
];
