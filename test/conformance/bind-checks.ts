/**
 * -v on every backend: a directory and a single file, read-write and read-only; what the command
 * writes inside is seen outside and the reverse, byte for byte. microvm shares through virtiofs
 * (ADR 0059); its read-only run also kills QEMU and checks that no virtiofsd is left.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { assertNothingLeft, sleep, type Check } from './checks.js';
import { processesMentioning, type Runner } from '../helpers/berth-cli.js';

/** A host directory with a file, and a second directory whose one file is bound alone (its sibling must stay hidden). */
function hostFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bind-dir-'));
  const fileDir = mkdtempSync(join(tmpdir(), 'berth-bind-file-'));
  for (const d of [dir, fileDir]) chmodSync(d, 0o777);
  const put = (p: string, text: string) => {
    writeFileSync(p, text);
    chmodSync(p, 0o666);
  };
  put(join(dir, 'hello.txt'), 'from host\n');
  put(join(fileDir, 'conf.txt'), 'conf from host\n');
  put(join(fileDir, 'sibling.txt'), 'must stay hidden\n');
  // A -v source may be a symlink to a file: the file it names is what gets bound.
  put(join(dir, 'linked.txt'), 'via link\n');
  symlinkSync(join(dir, 'linked.txt'), join(fileDir, 'link.txt'));
  const blob = randomBytes(2_500_000);
  writeFileSync(join(dir, 'blob.bin'), blob);
  return {
    blobHash: sha256(blob),
    dir,
    file: join(fileDir, 'conf.txt'),
    link: join(fileDir, 'link.txt'),
    cleanup: () => {
      for (const d of [dir, fileDir]) rmSync(d, { recursive: true, force: true });
    },
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * microvm runs the read-only and the read-write script in one detached boot (a boot under TCG costs
 * seconds), so that it also shows (ADR 0059): a checkpoint of a VM with shares is refused
 * (vhost-user-fs cannot be saved), and a kill -9 of QEMU takes its virtiofsd processes with it.
 * Returns the output of both scripts; the script's last act, writing DONE, says they are over.
 */
async function microvmOneBoot(
  r: Runner,
  mounts: string[],
  script: string,
  done: { host: string; guest: string },
): Promise<string> {
  const doneInGuest = done.guest;
  const d = await r.run(
    [
      'run',
      '-d',
      '--backend',
      'microvm',
      '--name',
      'vfs',
      ...mounts,
      '--',
      'sh',
      '-c',
      `${script}; echo > ${doneInGuest}; sleep 1000`,
    ],
    { timeoutMs: 300_000 },
  );
  assert.equal(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  // The script ends by writing DONE into a shared directory: polled there, not with a CLI per try.
  for (let i = 0; i < 3000 && !existsSync(done.host); i++) await sleep(100);
  const logs = (await r.run(['logs', 'vfs'])).stdout;
  const cp = await r.run(['checkpoint', 'vfs', 'c1']);
  assert.equal(cp.code, 125, cp.stderr);
  assert.match(cp.stderr, /^berth: .*-v/);
  assert.equal(cp.stderr.trim().split('\n').length, 1, `one line: ${cp.stderr}`);
  const shares = join(r.root, 'envs', id, 'shares');
  assert.equal(processesMentioning(shares).length > 0, true, 'virtiofsd serves the shares');
  const pids = JSON.parse(readFileSync(join(r.root, 'envs', id, 'pids.json'), 'utf8'));
  process.kill(pids.child, 'SIGKILL');
  for (let i = 0; i < 200 && processesMentioning(shares).length > 0; i++) await sleep(50);
  assert.deepEqual(processesMentioning(shares), [], 'no virtiofsd outlives its QEMU');
  const w = await r.run(['wait', 'vfs'], { timeoutMs: 30_000 });
  assert.equal(w.stdout, '137\n', w.stderr);
  assert.equal((await r.run(['rm', 'vfs'])).code, 0);
  return logs;
}

async function runOk(r: Runner, args: string[]): Promise<string> {
  const res = await r.run(args, { timeoutMs: 300_000 });
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

export const BIND_CHECKS: Check[] = [
  {
    name: '-v: a single file and a directory, read-write and read-only, written inside and seen outside',
    async run(r, b) {
      const h = hostFiles();
      try {
        // Read-only: both readable, neither writable; the host copies are untouched.
        const roMounts = ['-v', `${h.dir}:/rodata:ro`, '-v', `${h.file}:/opt/ro/conf.txt:ro`];
        const roScript =
          'cat /opt/ro/conf.txt /rodata/hello.txt; if (echo x > /opt/ro/conf.txt) 2>/dev/null; then exit 6; fi; ' +
          'if touch /rodata/nope 2>/dev/null; then exit 7; fi; echo ro-ok';
        // Read-write: the file's target (and its directory) does not exist in the image. Bytes
        // both ways keep their digest (busybox sha256sum inside, node's outside).
        const rwMounts = [
          '-v',
          `${h.dir}:/data`,
          '-v',
          `${h.file}:/opt/cfg/conf.txt`,
          '-v',
          `${h.link}:/opt/cfg/via-link.txt:ro`,
        ];
        const rwScript =
          'cat /opt/cfg/conf.txt /data/hello.txt /opt/cfg/via-link.txt; test -f /opt/cfg/conf.txt || exit 3; ' +
          'ls /opt/cfg; echo inside > /opt/cfg/conf.txt; echo back > /data/out.txt; ' +
          // The file's directory was staged only for the bind: nothing of it stays mounted.
          'if grep -q /dev/.berth-bind- /proc/self/mountinfo; then exit 4; fi; if ls /dev/.berth-bind-* 2>/dev/null; then exit 5; fi; ' +
          'sha256sum /data/blob.bin | cut -c1-64; head -c 3000000 /dev/urandom > /data/from-guest.bin; sha256sum /data/from-guest.bin | cut -c1-64';
        let ro: string;
        let rw: string;
        if (b === 'microvm') {
          // A guest root that mounts the file's share itself sees the one file only (ADR 0059).
          const tag = 'mkdir /tmp/tag; mount -t virtiofs berth3 /tmp/tag; ls /tmp/tag';
          const out = await microvmOneBoot(r, [...roMounts, ...rwMounts], `${roScript}; ${rwScript}; ${tag}`, {
            host: join(h.dir, 'done'),
            guest: '/data/done',
          });
          const cut = out.indexOf('ro-ok\n') + 'ro-ok\n'.length;
          ro = out.slice(0, cut);
          rw = out.slice(cut);
          assert.equal(ro, 'conf from host\nfrom host\nro-ok\n', out);
        } else {
          rw = await runOk(r, ['run', '--rm', '--backend', b, ...rwMounts, '--', 'sh', '-c', rwScript]);
          ro = await runOk(r, ['run', '--rm', '--backend', b, ...roMounts, '--', 'sh', '-c', roScript]);
          assert.equal(ro, 'inside\nfrom host\nro-ok\n');
        }
        const lines = rw.split('\n');
        assert.deepEqual(
          lines.slice(0, 5),
          ['conf from host', 'from host', 'via link', 'conf.txt', 'via-link.txt'],
          rw,
        );
        assert.equal(lines[5], h.blobHash, 'the host file reads whole inside');
        assert.equal(
          lines[6],
          sha256(readFileSync(join(h.dir, 'from-guest.bin'))),
          'the guest file reads whole outside',
        );
        assert.deepEqual(lines.slice(7), b === 'microvm' ? ['conf.txt', ''] : ['']);
        assert.equal(readFileSync(h.file, 'utf8'), 'inside\n');
        assert.equal(readFileSync(join(h.dir, 'out.txt'), 'utf8'), 'back\n');
        assert.equal(existsSync(join(h.dir, 'nope')), false);
        await assertNothingLeft(r);
      } finally {
        h.cleanup();
      }
    },
  },
];
