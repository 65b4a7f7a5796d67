/**
 * `berth commit` of a VM environment (ADR 0058), checked inside boots the uml and microvm checks
 * make anyway: the environment added /big, changed /etc/passwd (a line `changed`) and deleted
 * /bin/ls; `berth diff` lists the three (A, C, D), `berth export` writes the whole file system
 * with them, and the committed image, run on the container backend, shows them. Bad input (a
 * missing environment, a bad reference) is one line and exit 125 and stores no image; a commit
 * killed with SIGKILL stores no image, and the next commit removes what it left.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Runner } from '../helpers/berth-cli.js';

const SHOWS_CHANGES = 'test -s /big && test ! -e /bin/ls && tail -n 1 /etc/passwd';

/** The shell command an environment runs to make the three changes (before its own `sync`). */
export const MAKE_CHANGES =
  'dd if=/dev/urandom of=/big bs=1024 count=4096 2>/dev/null && rm /bin/ls && echo changed >> /etc/passwd';

/** A PATH whose debugfs and e2fsck log "UID TOOL ARGS" and exec the real ones. */
function toolSpy(): { path: string; calls(): string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tool-spy-'));
  chmodSync(dir, 0o777); // the sandbox identity appends to the log
  const log = join(dir, 'calls.log');
  writeFileSync(log, '', { mode: 0o666 });
  chmodSync(log, 0o666);
  for (const tool of ['debugfs', 'e2fsck']) {
    const real = ['/usr/sbin', '/sbin'].map((d) => join(d, tool)).find((f) => existsSync(f))!;
    writeFileSync(join(dir, tool), `#!/bin/sh\necho "$(id -u) ${tool} $*" >> ${log}\nexec ${real} "$@"\n`, {
      mode: 0o755,
    });
  }
  return {
    path: `${dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const workDirs = (r: Runner) => {
  const tmp = join(r.root, 'images', 'blobs', 'tmp');
  return existsSync(tmp) ? readdirSync(tmp).filter((n) => /^(vm-)?commit-\d+-/.test(n)) : [];
};

/** The references in the store's image index (`oci/index.json`, ADR 0009), read without a CLI start. */
function imageRefs(r: Runner): string[] {
  const file = join(r.root, 'images', 'oci', 'index.json');
  if (!existsSync(file)) return [];
  const index = JSON.parse(readFileSync(file, 'utf8')) as { manifests?: { annotations?: Record<string, string> }[] };
  return (index.manifests ?? []).flatMap((m) => Object.values(m.annotations ?? {}));
}

/** Commit `env` as `ref`; run the result on container and see the three changes. */
export async function checkVmCommit(
  r: Runner,
  env: string,
  ref: string,
  opts: { badInput?: boolean } = {},
): Promise<void> {
  // Refused before the backend matters: checked in one of the two suites only (time budget).
  for (const [args, re] of opts.badInput
    ? ([
        [['commit', 'no-such-env', `${ref}x`], /^berth: no such environment: no-such-env/],
        [['commit', env, 'Bad Ref!'], /^berth: invalid image reference "Bad Ref!"/],
      ] as const)
    : []) {
    const bad = await r.run([...args]);
    assert.equal(bad.code, 125, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, re);
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line: ${bad.stderr}`);
    assert.equal(bad.stdout, '');
  }

  // `berth diff` reads the same flushed copy of the disk: the three changes, named as Docker does.
  const d = await r.run(['diff', env], { timeoutMs: 300_000 });
  assert.equal(d.code, 0, d.stderr);
  const lines = d.stdout.split('\n').filter(Boolean);
  for (const want of ['A /big', 'D /bin/ls', 'C /etc/passwd', 'C /etc', 'C /bin'])
    assert.ok(lines.includes(want), `diff lists "${want}": ${d.stdout}`);
  for (const never of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys'])
    assert.ok(!lines.some((l) => l.endsWith(` ${never}`)), `diff leaves out what the init writes: ${never}`);
  assert.ok(lines.indexOf('C /bin') < lines.indexOf('D /bin/ls'), `a directory before what is in it: ${d.stdout}`);
  assert.deepEqual(workDirs(r), [], 'the diff leaves no scratch files');

  // `berth export`: the whole file system from the same kind of copy, owners as the guest sees them.
  const out = (await r.hostRun('mktemp', ['-d'])).stdout.trim();
  const tarFile = join(out, 'fs.tar');
  const exp = await r.run(['export', env, '-o', tarFile], { timeoutMs: 300_000 });
  assert.equal(exp.code, 0, exp.stderr);
  const list = spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(
    list.includes('bin/busybox') && list.includes('big'),
    `the image's files and the added one: ${list.length} entries`,
  );
  assert.ok(!list.includes('bin/ls'), 'the deleted file is absent');
  assert.equal(
    spawnSync('sh', ['-c', `tar -xOf ${tarFile} etc/passwd | tail -n 1`], { encoding: 'utf8' }).stdout,
    'changed\n',
  );
  assert.match(
    spawnSync('tar', ['--numeric-owner', '-tvf', tarFile, 'etc/passwd'], { encoding: 'utf8' }).stdout,
    / 0\/0 /,
    'owned by root inside',
  );
  assert.equal(spawnSync('tar', ['-xOf', tarFile, 'big'], { maxBuffer: 8 << 20 }).stdout.length, 4096 * 1024);
  await r.hostRun('rm', ['-rf', out]);
  assert.deepEqual(workDirs(r), [], 'the export leaves no scratch files');

  // Who parses the disk the guest wrote: wrappers of debugfs and e2fsck first on PATH log their uid.
  const spy = toolSpy();
  const c = await r.run(['commit', env, ref], { timeoutMs: 300_000, env: { PATH: spy.path } });
  const calls = spy.calls();
  spy.remove();
  assert.equal(c.code, 0, c.stderr);
  // As root, the guest-written copy (fd 3, /proc/self/fd/3) is read by an unprivileged identity.
  const onCopy = calls.filter((l) => l.includes('/proc/self/fd/3'));
  if (r.mode === 'root') {
    assert.ok(
      onCopy.some((l) => l.includes(' e2fsck ')) && onCopy.some((l) => l.includes(' debugfs ')),
      `e2fsck and debugfs read the guest's disk through fd 3: ${calls.join(' | ')}`,
    );
    for (const l of calls) {
      if (!l.includes(' e2fsck ') && !l.includes('/proc/self/fd/3')) continue;
      assert.notEqual(l.split(' ')[0], '0', `not as root: ${l}`);
    }
  }
  assert.match(c.stdout, /@sha256:[0-9a-f]{64}\n$/);
  assert.ok(
    imageRefs(r).some((i) => i.includes(ref)),
    `the index names a committed image (so its absence after a kill means something): ${imageRefs(r)}`,
  );
  const run = await r.run(['run', '--rm', '--backend', 'container', ref, 'sh', '-c', SHOWS_CHANGES], {
    timeoutMs: 120_000,
  });
  assert.equal(run.stdout, 'changed\n', `added, deleted and changed files are in the image: ${run.stderr}`);
  assert.deepEqual(workDirs(r), [], 'the commit leaves no scratch files');
}

/** A commit of `env` killed with SIGKILL while it works stores no image; the next one cleans up. */
export async function checkKilledCommit(r: Runner, env: string, ref: string): Promise<void> {
  const child = r.spawn(['commit', env, ref]);
  const done = new Promise((res) => child.once('close', res));
  let pid: number | undefined;
  for (let i = 0; i < 3000 && pid === undefined; i++) {
    const dir = workDirs(r).find((n) => n.startsWith('vm-commit-'));
    if (dir) pid = Number(/^vm-commit-(\d+)-/.exec(dir)![1]);
    else await sleep(10);
  }
  assert.ok(pid, 'the commit made its scratch dir (it is killed while it works)');
  process.kill(pid, 'SIGKILL');
  await done;
  assert.ok(!imageRefs(r).some((i) => i.includes(ref.split(':')[0]!)), 'a killed commit stores no image');
  assert.ok(workDirs(r).length > 0, 'the killed commit left its scratch dir');
}
