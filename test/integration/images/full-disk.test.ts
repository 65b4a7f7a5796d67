/**
 * A full disk (issue 17.2): berth's state directory on an 8 MiB tmpfs, mounted in a mount
 * namespace this test creates (a `sleep` holds it; every command enters it with nsenter), as root
 * and as the test user. Every ENOSPC (a pull, an image that no longer fits, state writes, a base
 * disk) is one line, exit 125, naming the full filesystem and `berth prune`; `berth prune` removes
 * the stale partial download; after space is freed the next command works and nothing is left
 * half-made. Before: "internal error: ENOSPC".
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  ensureTools,
  startRegistry,
  skopeoPush,
  singleImageLayout,
  type RunningRegistry,
} from '../registry/fixtures.js';
import { makeRunner, isRoot, type Runner, type Result } from '../../helpers/berth-cli.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { requireThat } from '../../helpers/requirements.js';
import { oneLine125 } from '../../helpers/one-line-error.js';

const TMPFS_BYTES = 8 * 1024 * 1024;
const NO_SPACE = /no space left on the filesystem at (\S+) .*berth prune/;

let work = '';
let registry: RunningRegistry | undefined;
let small = '';
let other = '';
let big = '';
let missing: string | undefined;

async function push(name: string, fill: (dir: string) => void): Promise<string> {
  const l = join(work, `${name}-rootfs`);
  mkdirSync(l, { recursive: true });
  fill(l);
  const layout = join(work, `${name}-layout`);
  await singleImageLayout(layout, work, [l], name);
  const ref = `${registry!.host}/test/${name}:1`;
  await skopeoPush(layout, name, ref);
  return ref;
}

before(async () => {
  if (!isRoot()) {
    missing = 'root (the test mounts a tmpfs in its own mount namespace and starts a registry)';
    return;
  }
  const absent = await ensureTools();
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-full-disk-'));
  registry = await startRegistry(work);
  small = await push('small', (l) => {
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(l, d));
    copyFileSync('/bin/busybox', join(l, 'bin', 'busybox'));
    chmodSync(join(l, 'bin', 'busybox'), 0o755);
    for (const a of ['sh', 'echo', 'true', 'cat']) symlinkSync('busybox', join(l, 'bin', a));
    writeFileSync(join(l, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  });
  // Pulled (downloaded) while there is room, unpacked on first use when there is none.
  other = await push('other', (l) => {
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(l, d));
    copyFileSync('/bin/busybox', join(l, 'bin', 'busybox'));
    chmodSync(join(l, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(l, 'bin', 'cat'));
    writeFileSync(join(l, 'etc', 'other'), 'other\n');
  });
  // Incompressible: its blob alone is twice the filesystem.
  big = await push('big', (l) => writeFileSync(join(l, 'data'), randomBytes(2 * TMPFS_BYTES)));
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A mount namespace with a tmpfs on `dir`, held open by a sleep; commands enter it with nsenter. */
class SmallDisk {
  private holder: ChildProcess;
  constructor(
    readonly dir: string,
    owner: string,
  ) {
    this.holder = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        `mount -t tmpfs -o size=${TMPFS_BYTES},mode=0755 berth-test-full "$1" && chown ${owner} "$1" && echo ready && exec sleep 3600`,
        'sh',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
  }
  ready(): Promise<void> {
    return new Promise((res, rej) => {
      this.holder.stdout!.once('data', () => res());
      this.holder.once('exit', (c) => rej(new Error(`unshare/mount exited ${c}`)));
    });
  }
  /** Run `cmd args` (already wrapped for the runner's user) inside the namespace. */
  run(w: { cmd: string; args: string[]; env: NodeJS.ProcessEnv }): Promise<Result> {
    const child = spawn('nsenter', ['-t', String(this.holder.pid), '-m', '--', w.cmd, ...w.args], {
      env: w.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((res, rej) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', rej);
      child.once('close', (code, signal) => res({ code: code ?? -1, signal, stdout, stderr }));
    });
  }
  /** A plain command as root inside the namespace. */
  sh(script: string): Promise<Result> {
    return this.run({ cmd: 'sh', args: ['-c', script], env: process.env });
  }
  close(): void {
    this.holder.kill('SIGKILL');
  }
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`a full state filesystem as ${mode}`, () => {
    let r: Runner;
    let disk: SmallDisk;
    before(async () => {
      if (missing) return;
      r = makeRunner(mode);
      const owner = mode === 'root' ? '0:0' : `${ensureTestUser().uid}:${ensureTestUser().gid}`;
      disk = new SmallDisk(r.root, owner);
      await disk.ready();
    });
    after(() => {
      disk?.close(); // the tmpfs goes with its namespace
      r?.cleanup();
    });
    const berth = (args: string[]) => disk.run(r.argv(args));
    const partials = async () =>
      (await disk.sh(`ls ${r.root}/images/blobs/tmp 2>/dev/null | grep -c partial || true`)).stdout.trim();

    it('ENOSPC is one line naming the filesystem; prune frees the partial download; then it works', {
      timeout: 240_000,
    }, async (t) => {
      if (!requireThat(t, !missing, missing ?? '')) return;
      // A pull that does not fit: resumable, one line, the partial blob kept.
      const pull = await berth(['pull', big]);
      oneLine125(pull, NO_SPACE);
      t.diagnostic(pull.stderr.trim());
      assert.equal(NO_SPACE.exec(pull.stderr)![1], r.root, 'names the tmpfs mount point');
      assert.equal(await partials(), '1', 'the partial download is kept (resumable)');

      // The partial download keeps the disk full: the next command says so too.
      const full = await berth(['run', '--rm', '--backend', 'container', small, 'echo', 'hi']);
      oneLine125(full, NO_SPACE);
      t.diagnostic(full.stderr.trim());
      assert.equal((await berth(['ps', '-a', '-q'])).stdout, '', 'no environment left half-made');

      // prune removes the stale partial download; then the run works.
      const prune = await berth(['prune']);
      assert.equal(prune.code, 0, prune.stderr);
      assert.match(prune.stdout, /1 partial download/);
      assert.equal(await partials(), '0');
      const ok = await berth(['run', '--rm', '--backend', 'container', small, 'echo', 'hi']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'hi\n');

      // Full again (a filler file): unpacking, state writes of a new environment, a base disk build.
      const pulled = await berth(['pull', other]);
      assert.equal(pulled.code, 0, pulled.stderr);
      await disk.sh(`dd if=/dev/zero of=${r.root}/filler bs=64k 2>/dev/null; sync`);
      const unpack = await berth(['run', '--rm', '--backend', 'container', other, 'cat', '/etc/other']);
      oneLine125(unpack, NO_SPACE);
      t.diagnostic(unpack.stderr.trim());
      const create = await berth(['run', '-d', '--backend', 'container', small, 'sleep', '60']);
      oneLine125(create, NO_SPACE);
      t.diagnostic(create.stderr.trim());
      assert.equal((await berth(['ps', '-a', '-q'])).stdout, '', 'no environment recorded');
      // (`berth disk` off a terminal says what it builds on a line first.)
      const baseDisk = await berth(['disk', small]);
      assert.equal(baseDisk.code, 125, baseDisk.stderr);
      assert.match(baseDisk.stderr.trim().split('\n').at(-1)!, NO_SPACE);
      assert.doesNotMatch(baseDisk.stderr, /internal error/);
      assert.equal(
        (await disk.sh(`ls ${r.root}/images/disks | grep -c ext4 || true`)).stdout.trim(),
        '0',
        'no base disk',
      );
      t.diagnostic(baseDisk.stderr.trim());

      // Logs on a full disk: the command keeps running and exits with its own status; the records
      // that did not fit are dropped whole (the log stays readable).
      await disk.sh(`rm -f ${r.root}/filler`);
      const trigger = mkdtempSync(join(tmpdir(), 'berth-full-disk-go-'));
      chmodSync(trigger, 0o777);
      const script =
        'while [ ! -e /go/now ]; do sleep 0.05; done; i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; exit 7';
      const logged = await berth([
        'run',
        '-d',
        '--backend',
        'container',
        '-v',
        `${trigger}:/go`,
        small,
        'sh',
        '-c',
        script,
      ]);
      assert.equal(logged.code, 0, logged.stderr);
      const id = logged.stdout.trim();
      await disk.sh(`dd if=/dev/zero of=${r.root}/filler bs=64k 2>/dev/null; sync`);
      writeFileSync(join(trigger, 'now'), '');
      const waited = await berth(['wait', id]);
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout.trim(), '7', 'the command ran to its end: its own exit status');
      const logs = await berth(['logs', id]);
      assert.equal(logs.code, 0, logs.stderr);
      t.diagnostic(`logs on a full disk: ${logs.stdout.split('\n').length - 1} of 3000 lines kept`);
      for (const line of logs.stdout.split('\n').filter(Boolean)) assert.match(line, /^line \d+$/);
      rmSync(trigger, { recursive: true, force: true });
      const rm = await berth(['rm', id]);
      assert.equal(rm.code, 0, rm.stderr);

      // Space freed: everything works again.
      await disk.sh(`rm -f ${r.root}/filler`);
      const again = await berth(['run', '--rm', '--backend', 'container', small, 'cat', '/etc/passwd']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^root:/);
      const unpacked = await berth(['run', '--rm', '--backend', 'container', other, 'cat', '/etc/other']);
      assert.equal(unpacked.code, 0, unpacked.stderr);
      assert.equal(unpacked.stdout, 'other\n', 'the layer a full disk interrupted is unpacked whole now');
    });
  });
}
