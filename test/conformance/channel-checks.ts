/**
 * The VM guest channel (issue 19, "Tests"): random data in both directions with digests, a slow
 * reader held back (the monitor's memory does not grow), and clients that disconnect mid-stream
 * leave the environment usable. One VM boot per mode: every step uses the same environment.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Runner, packageDir } from '../helpers/berth-cli.js';
import { type Check, assertNothingLeft, cliPid, isVm, sleep } from './checks.js';
import { rssOf } from '../helpers/rss.js';

const MiB = 1024 * 1024;
/**
 * Bytes sent each way. uml's 64 MiB each way is checked on the uml suite's shared boot
 * (uml-bulk-checks.ts, ADR 0053); here a smaller amount, for the slow-reader and mid-stream steps.
 */
const SIZE: Record<string, number> = { microvm: 64 * MiB, uml: 2 * MiB };
/** A producer that was never held back would pass this; a held one stops at a few MiB. */
const UNHELD = 256 * MiB;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Run berth with `input` as stdin; stdout's digest and length, not its bytes. */
function streamed(
  r: Runner,
  args: string[],
  input?: Buffer,
): Promise<{ code: number | null; digest: string; length: number; stderr: string }> {
  return new Promise((res, rej) => {
    const child = r.spawn(args);
    const hash = createHash('sha256');
    let length = 0;
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      hash.update(d);
      length += d.length;
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.once('error', rej);
    child.once('close', (code) => res({ code, digest: hash.digest('hex'), length, stderr }));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
  });
}

async function guestText(r: Runner, name: string, script: string): Promise<string> {
  const res = await r.run(['exec', name, 'sh', '-c', script]);
  assert.equal(res.code, 0, `${script}: ${res.stderr}`);
  return res.stdout;
}

/** The guest's count of bytes written (wchar) by the process whose pid is in FILE. */
async function guestWritten(r: Runner, name: string, file: string): Promise<number> {
  const io = await guestText(r, name, `cat /proc/$(cat ${file})/io`);
  const m = /^wchar:\s*(\d+)/m.exec(io);
  assert.ok(m, `/proc/PID/io in the guest: ${io}`);
  return Number(m[1]);
}

/**
 * microvm's bulk channel disk (ADR 0084), as the guest sees it: its sectors read so far, and
 * whether its /dev node is there (only the init should hold it).
 */
export async function bulkDisk(r: Runner, name: string): Promise<{ sectorsRead: number; node: boolean }> {
  const out = await guestText(
    r,
    name,
    'for d in /sys/block/*; do [ "$(cat $d/serial 2>/dev/null)" = berth.bulk ] || continue; ' +
      "awk '{print $3}' $d/stat; [ -e /dev/${d##*/} ] && echo node || echo none; done",
  );
  const [sectors, node] = out.trim().split('\n');
  assert.match(sectors ?? '', /^\d+$/, `no disk with the serial berth.bulk in the guest: ${out}`);
  return { sectorsRead: Number(sectors), node: node === 'node' };
}

/**
 * microvm's bulk disk has 32 slots of 1 MiB (ADR 0084). Ten sessions whose commands wait before
 * reading hold up to 4 slots each, so some of their input and that of two sessions read at once
 * goes on the control port instead, between bulk slots of the same session: every digest must
 * still be whole.
 */
async function slotsRunOut(r: Runner, name: string): Promise<void> {
  const input = randomBytes((5 * MiB) / 2).toString('hex');
  const want = sha256(Buffer.from(input));
  const exec = (script: string) => r.run(['exec', '-i', name, 'sh', '-c', script], { input, timeoutMs: 300_000 });
  const before = await bulkDisk(r, name);
  const runs = [
    ...Array.from({ length: 10 }, () => exec('sleep 3; sha256sum')),
    sleep(1000).then(() => exec('sha256sum')),
    sleep(1000).then(() => exec('sha256sum')),
  ];
  for (const [i, res] of (await Promise.all(runs)).entries()) {
    assert.equal(res.code, 0, `session ${i}: ${res.stderr}`);
    assert.equal(
      res.stdout.split(' ')[0],
      want,
      `session ${i} of 12, with the bulk slots run out: its input was not whole`,
    );
  }
  const bulk = ((await bulkDisk(r, name)).sectorsRead - before.sectorsRead) * 512;
  assert.ok(
    bulk > 0 && bulk < 12 * input.length,
    `${bulk} of ${12 * input.length} bytes by the disk: the slots never ran out`,
  );
}

function monitorRss(r: Runner, id: string): number {
  const pids = JSON.parse(readFileSync(join(r.root, 'envs', id, 'pids.json'), 'utf8')) as { monitor: number };
  return rssOf(pids.monitor);
}

/** Until the guest process whose pid is in FILE is gone (its client disconnected: the monitor kills it). */
async function untilGone(r: Runner, name: string, file: string, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    if ((await guestText(r, name, `test -d /proc/$(cat ${file}) && echo alive || echo gone`)).trim() === 'gone') return;
    assert.ok(i < 120, `${what}: its guest process should end once its client is gone`);
    await sleep(500);
  }
}

/**
 * SIZE random bytes in a host file: into the guest as `exec -i`'s stdin (a file) and back out
 * through exec's stdout; then `berth cp` in and out. The sha256 of each, and the mode inside.
 */
async function fileRoundTrips(
  r: Runner,
  name: string,
  size: number,
): Promise<{ mode: string; sent: string; stdinBack: string; cpBack: string }> {
  const b = `'${process.execPath}' '${join(packageDir(), 'dist', 'berth.cjs')}'`;
  const script = [
    'set -e',
    'd=$(mktemp -d); trap \'rm -rf "$d"\' EXIT',
    `head -c ${size} /dev/urandom > "$d/f"; chmod 750 "$d/f"`,
    `${b} exec -i ${name} sh -c 'cat > /dev/shm/g' < "$d/f"`,
    `${b} exec ${name} cat /dev/shm/g > "$d/g"`,
    `${b} exec ${name} rm /dev/shm/g`,
    `${b} cp "$d/f" ${name}:/dev/shm/c`,
    `${b} exec ${name} stat -c %a /dev/shm/c`,
    'mkdir "$d/out"',
    `${b} cp ${name}:/dev/shm/c "$d/out/"`,
    `${b} exec ${name} rm /dev/shm/c`,
    'for x in f g out/c; do sha256sum < "$d/$x"; done',
  ].join('\n');
  const res = await r.hostRun('sh', ['-c', script]);
  assert.equal(res.code, 0, res.stderr);
  const [mode, sent, stdinBack, cpBack] = res.stdout.trim().split('\n');
  assert.match(sent ?? '', /^[0-9a-f]{64} {2}-$/, `the sent file's digest: ${res.stdout}`);
  return { mode: mode!, sent: sent!, stdinBack: stdinBack!, cpBack: cpBack! };
}

export const CHANNEL_CHECKS: Check[] = [
  {
    name: 'VM channel: random data both ways with digests, a slow reader held back, clients gone mid-stream',
    appliesTo: isVm,
    async run(r, b) {
      const size = SIZE[b]!;
      const name = 'chan';
      const up = await r.run(['run', '-d', '--backend', b, '--name', name, 'busybox', 'sleep', '3600'], {
        timeoutMs: 300_000,
      });
      assert.equal(up.code, 0, up.stderr);
      const id = up.stdout.trim();
      try {
        // In: random bytes through exec -i into a file in the guest's memory; out: the same bytes
        // back through exec's stdout, digested here (a guest's sha256sum under TCG costs seconds).
        const data = randomBytes(size);
        const digest = sha256(data);
        const before = b === 'microvm' ? await bulkDisk(r, name) : undefined;
        const inward = await streamed(r, ['exec', '-i', name, 'sh', '-c', 'cat > /dev/shm/f'], data);
        assert.equal(inward.code, 0, inward.stderr);
        if (before) {
          // The bytes went by the bulk channel's disk, not the control port's 4 KiB buffers.
          const after = await bulkDisk(r, name);
          assert.ok(
            after.sectorsRead - before.sectorsRead >= (size * 15) / 16 / 512,
            `the guest read ${after.sectorsRead - before.sectorsRead} sectors of its bulk disk for ${size} bytes of stdin`,
          );
          assert.equal(after.node, false, 'only the init holds the bulk disk: no /dev node for it');
        }
        const outward = await streamed(r, ['exec', name, 'cat', '/dev/shm/f']);
        assert.equal(outward.code, 0, outward.stderr);
        assert.equal(outward.length, size);
        assert.equal(outward.digest, digest, 'the bytes that went in came out');
        await guestText(r, name, 'rm /dev/shm/f');

        // A file as stdin, and berth cp both ways: the CLI reads a file into buffers it reuses
        // (ADR 0075), so the bytes must come through whole; cp keeps the mode.
        const viaFile = await fileRoundTrips(r, name, size);
        assert.deepEqual(viaFile, { mode: '750', sent: viaFile.sent, stdinBack: viaFile.sent, cpBack: viaFile.sent });

        // A slow reader: a client that stops reading an endless output. The command in the guest
        // must be held back (it stops writing) and the monitor must not buffer what it writes.
        const rss = monitorRss(r, id);
        const slow = r.spawn(['exec', name, 'sh', '-c', 'echo $$ > /dev/shm/p; exec cat /dev/zero']);
        slow.stderr!.resume();
        await new Promise<void>((res) => slow.stdout!.once('data', () => res()));
        slow.stdout!.pause();
        let last = -1;
        for (let i = 0; ; i++) {
          const written = await guestWritten(r, name, '/dev/shm/p');
          assert.ok(written < UNHELD, `a reader that stopped reading: the command wrote ${written} bytes on`);
          if (written === last) break;
          assert.ok(i < 300, 'the command should come to a stop');
          last = written;
          await sleep(1000);
        }
        const grown = monitorRss(r, id) - rss;
        assert.ok(grown < 64 * MiB, `the monitor grew by ${grown} bytes for a slow reader`);
        // It disconnects: its command is killed, the environment goes on.
        process.kill(cliPid(r, slow), 'SIGKILL');
        await untilGone(r, name, '/dev/shm/p', 'an exec whose reader was killed');

        // A client gone in the middle of its input.
        const writer = r.spawn(['exec', '-i', name, 'sh', '-c', 'echo $$ > /dev/shm/q; exec cat > /dev/null']);
        writer.stdout!.resume();
        writer.stderr!.resume();
        writer.stdin!.on('error', () => undefined);
        writer.stdin!.write(data);
        for (let i = 0; ; i++) {
          const read = await guestText(r, name, 'cat /proc/$(cat /dev/shm/q)/io 2>/dev/null || true');
          if (Number(/^rchar:\s*(\d+)/m.exec(read)?.[1] ?? 0) > 0) break;
          assert.ok(i < 300, 'the input should start arriving');
          await sleep(500);
        }
        process.kill(cliPid(r, writer), 'SIGKILL');
        await untilGone(r, name, '/dev/shm/q', 'an exec whose writer was killed');
        // Still usable: a new exec's input and output are whole, the command still runs.
        const check = await r.run(['exec', '-i', name, 'sha256sum'], { input: 'after\n' });
        assert.equal(check.code, 0, check.stderr);
        assert.equal(check.stdout.split(' ')[0], sha256(Buffer.from('after\n')));
        if (b === 'microvm') await slotsRunOut(r, name);
        const ps = await r.run(['ps', '--format', 'json']);
        const listed = (JSON.parse(ps.stdout) as { name: string; status: { state: string } }[]).find(
          (e) => e.name === name,
        );
        assert.equal(listed?.status.state, 'running');
      } finally {
        await r.run(['rm', '-f', name]);
      }
      await assertNothingLeft(r);
    },
  },
];
