/**
 * ext4 base disks, as root and as the unprivileged test user, through the real CLI (`berth disk`):
 * the files carry the image's owners, modes, setuid, devices and capabilities, whiteouts and opaque
 * dirs are honoured, a base is built once and reused, bad sizes are refused with nothing left
 * behind, and overlays (qcow2, UML COW) over a base are small and never change it.
 * Checked with e2fsprogs' debugfs on the image file: nothing is mounted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, makeRunner, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { LAYERED_REF, NET_RAW_CAP, storeLayeredImage } from './image-fixture.js';
import {
  allocatedBytes,
  baseDigest,
  blankOverlayPath,
  checkUmlCow,
  createQcow2Overlay,
  overlayFromBlank,
  qcow2Info,
} from '../../../src/disks/index.js';
import type { BaseDisk } from '../../../src/disks/base-disk.js';

interface Inode {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  links: number;
  device?: string;
}

/** `debugfs -R 'stat PATH'` parsed; undefined when the path does not exist in the file system. */
function stat(image: string, path: string): Inode | undefined {
  const r = spawnSync('debugfs', ['-R', `stat "${path}"`, image], { encoding: 'utf8' });
  const out = r.stdout;
  if (!/Inode:\s+\d+/.test(out)) return undefined;
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  const ino: Inode = {
    type: /Type:\s+(\S+)/.exec(out)![1]!,
    mode: parseInt(/Mode:\s+(\d+)/.exec(out)![1]!, 8),
    uid: num(/User:\s+(\d+)/),
    gid: num(/Group:\s+(\d+)/),
    links: num(/Links:\s+(\d+)/),
  };
  const dev = /Device major\/minor number:\s+(\d+):(\d+)/.exec(out);
  if (dev) ino.device = `${Number(dev[1])}:${Number(dev[2])}`;
  return ino;
}

function xattrs(image: string, path: string): string {
  return spawnSync('debugfs', ['-R', `ea_get -x "${path}" security.capability`, image], { encoding: 'utf8' }).stdout;
}

const tools = ['debugfs', 'mke2fs', 'e2fsck', 'resize2fs', 'dumpe2fs', 'qemu-img', 'qemu-io', 'uml_mkcow', 'unshare'];
const haveTools = tools.every(
  (t) => spawnSync('sh', ['-c', `command -v ${t} || test -x /usr/sbin/${t} || test -x /sbin/${t}`]).status === 0,
);

for (const mode of ['root', 'rootless'] as const) {
  describe(`base disks (${mode})`, () => {
    let r: Runner | undefined;
    let busybox: BaseDisk;
    let layered: BaseDisk;
    const scratch = mkdtempSync(join(tmpdir(), `berth-disks-${mode}-`));
    const disksDir = () => join(r!.root, 'images', 'disks');
    const diskRun = async (args: string[]) => {
      const res = await r!.run(['disk', '--json', ...args], { timeoutMs: 300_000 });
      assert.equal(res.code, 0, res.stderr);
      return { disk: JSON.parse(res.stdout) as BaseDisk, built: /berth: building the /.test(res.stderr) };
    };
    const disk = async (args: string[]) => (await diskRun(args)).disk;
    const leftovers = () => readdirSync(disksDir()).filter((n) => n.startsWith('.') || n.endsWith('.lock'));

    before(async () => {
      if (!isRoot() || !haveTools) return;
      r = makeRunner(mode);
      await storeLayeredImage(join(r.root, 'images'));
      if (mode === 'rootless') spawnSync('chown', ['-R', 'berth-test:', join(r.root, 'images')]);
    });
    after(() => {
      r?.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    });

    test("busybox base: the image's owners and modes, 0444, sparse", async (t) => {
      if (!requireThat(t, isRoot(), 'root (to create the test user)') || !requireThat(t, haveTools, tools.join(', ')))
        return;
      const first = await diskRun(['busybox']);
      busybox = first.disk;
      assert.equal(first.built, true);
      const st = statSync(busybox.path);
      assert.equal(st.mode & 0o777, 0o444);
      assert.equal(busybox.sizeBytes, 1024 ** 3, 'the default size is 1 GiB for a small image');
      assert.equal(st.size, busybox.sizeBytes);
      assert.ok(
        allocatedBytes(busybox.path) < 16 * 1024 ** 2,
        `sparse: ${allocatedBytes(busybox.path)} bytes allocated`,
      );
      assert.deepEqual(stat(busybox.path, '/bin/busybox'), { type: 'regular', mode: 0o755, uid: 0, gid: 0, links: 1 });
      assert.equal(stat(busybox.path, '/tmp')?.mode, 0o1777);
      assert.equal(stat(busybox.path, '/root')?.mode, 0o700);
      assert.equal(stat(busybox.path, '/bin/sh')?.type, 'symlink');
      assert.equal(spawnSync('e2fsck', ['-fn', busybox.path]).status, 0, 'the file system is clean');
    });

    test('built once: a second call reuses the file (same inode, same mtime)', async (t) => {
      if (!requireThat(t, busybox !== undefined, 'the busybox base of the previous test')) return;
      const before = statSync(busybox.path);
      const { disk: again, built } = await diskRun(['busybox']);
      assert.equal(built, false, 'no second build');
      const now = statSync(again.path);
      assert.equal(again.path, busybox.path);
      assert.equal(now.ino, before.ino);
      assert.equal(now.mtimeMs, before.mtimeMs);
    });

    test('layered image: owners, setuid, device, hardlink, capability, whiteout and opaque dir', async (t) => {
      if (!requireThat(t, r !== undefined, 'the runner')) return;
      layered = await disk([LAYERED_REF]);
      const f = layered.path;
      assert.deepEqual(stat(f, '/etc/shadow'), { type: 'regular', mode: 0o640, uid: 0, gid: 42, links: 1 });
      assert.deepEqual(stat(f, '/usr/bin/passwd'), { type: 'regular', mode: 0o4755, uid: 0, gid: 0, links: 1 });
      assert.deepEqual(stat(f, '/home/u'), { type: 'directory', mode: 0o750, uid: 1000, gid: 1000, links: 2 });
      assert.deepEqual(stat(f, '/home/u/f'), { type: 'regular', mode: 0o600, uid: 1000, gid: 1000, links: 2 });
      assert.deepEqual(stat(f, '/dev/null'), {
        type: 'character',
        mode: 0o666,
        uid: 0,
        gid: 0,
        links: 1,
        device: '1:3',
      });
      assert.deepEqual(stat(f, '/etc/upper'), { type: 'regular', mode: 0o600, uid: 0, gid: 5, links: 1 });
      assert.equal(stat(f, '/tmp')?.mode, 0o1777);
      assert.equal(stat(f, '/etc/gone'), undefined, 'the whiteout deleted it');
      assert.equal(stat(f, '/etc/.wh.gone'), undefined, 'no whiteout marker in the disk');
      assert.equal(stat(f, '/opq/old'), undefined, 'the opaque dir hid it');
      assert.equal(stat(f, '/opq/new')?.type, 'regular');
      const cap = xattrs(f, '/bin/ping').replace(/\s+/g, '').toLowerCase();
      assert.ok(cap.includes(NET_RAW_CAP.toString('hex')), `security.capability kept: ${cap}`);
      assert.equal(spawnSync('e2fsck', ['-fn', f]).status, 0, 'the file system is clean');
    });

    test('qcow2 overlay of a fresh environment is small; writes never reach the base', async (t) => {
      if (!requireThat(t, layered !== undefined, 'the layered base of the previous test')) return;
      const digest = await baseDigest(layered.path);
      const overlay = join(scratch, 'env.qcow2');
      await createQcow2Overlay({ base: layered, overlay });
      const fresh = await qcow2Info(overlay);
      assert.equal(fresh.format, 'qcow2');
      assert.equal(fresh.backingFile, layered.path);
      assert.equal(fresh.virtualSize, layered.sizeBytes);
      assert.ok(fresh.actualSize < 1024 ** 2, `fresh overlay ${fresh.actualSize} bytes`);
      const w = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 4M', overlay], { encoding: 'utf8' });
      assert.equal(w.status, 0, w.stderr);
      assert.ok((await qcow2Info(overlay)).actualSize >= 4 * 1024 ** 2, 'the write went to the overlay');
      assert.equal(await baseDigest(layered.path), digest, 'the base is unchanged');
      const bigger = await createQcow2Overlay({
        base: layered,
        overlay: join(scratch, 'big.qcow2'),
        sizeBytes: 2 * layered.sizeBytes,
      });
      assert.equal((await qcow2Info(bigger.path)).virtualSize, 2 * layered.sizeBytes);
      await assert.rejects(
        createQcow2Overlay({
          base: layered,
          overlay: join(scratch, 'small.qcow2'),
          sizeBytes: layered.sizeBytes - 4096,
        }),
        /below the .* base disk/,
      );
      assert.equal(existsSync(join(scratch, 'small.qcow2')), false);
      assert.deepEqual(
        readdirSync(scratch).filter((n) => n.startsWith('.')),
        [],
        'no temp overlay left',
      );
    });

    test('overlays from the blank of their base and size: copies of it, named anew when it names another base', async (t) => {
      if (!requireThat(t, layered !== undefined && busybox !== undefined, 'the bases of the previous tests')) return;
      const blank = blankOverlayPath(layered.path, layered.sizeBytes);
      assert.equal(existsSync(blank), false);
      const first = await overlayFromBlank({ base: layered, overlay: join(scratch, 'b1.qcow2') });
      assert.ok(existsSync(blank), 'the first overlay made the blank');
      const blankIno = statSync(blank).ino;
      const second = await overlayFromBlank({ base: layered, overlay: join(scratch, 'b2.qcow2') });
      assert.equal(statSync(blank).ino, blankIno, 'the second overlay is a copy of the same blank');
      for (const o of [first, second]) {
        const info = await qcow2Info(o.path);
        assert.deepEqual([info.format, info.backingFile, info.virtualSize], ['qcow2', layered.path, layered.sizeBytes]);
      }
      const w = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xcd 0 1M', first.path], { encoding: 'utf8' });
      assert.equal(w.status, 0, w.stderr);
      const info = await qcow2Info(blank);
      assert.ok(info.actualSize < 1024 ** 2, 'a write to a copy leaves the blank blank');
      // A blank that names another base (a store moved to another path) is made anew, not copied.
      const stale = join(scratch, 'stale.qcow2');
      await createQcow2Overlay({ base: busybox, overlay: stale, sizeBytes: layered.sizeBytes });
      renameSync(stale, blank);
      const third = await overlayFromBlank({ base: layered, overlay: join(scratch, 'b3.qcow2') });
      assert.equal((await qcow2Info(third.path)).backingFile, layered.path);
      assert.equal((await qcow2Info(blank)).backingFile, layered.path, 'the stale blank was replaced');
      // A bigger disk has a blank of its own; a smaller one is refused as before.
      const big = await overlayFromBlank({
        base: layered,
        overlay: join(scratch, 'b4.qcow2'),
        sizeBytes: 2 * layered.sizeBytes,
      });
      assert.equal((await qcow2Info(big.path)).virtualSize, 2 * layered.sizeBytes);
      assert.ok(existsSync(blankOverlayPath(layered.path, 2 * layered.sizeBytes)));
      await assert.rejects(
        overlayFromBlank({ base: layered, overlay: join(scratch, 'b5.qcow2'), sizeBytes: layered.sizeBytes - 4096 }),
        /below the .* base disk/,
      );
      await assert.rejects(overlayFromBlank({ base: layered, overlay: first.path }), /already exists/);
      assert.deepEqual(leftovers(), [], 'no temp blank left');
    });

    test('the base file system grows to a bigger disk (what the guest does online)', async (t) => {
      if (!requireThat(t, layered !== undefined, 'the layered base')) return;
      const copy = join(scratch, 'grown.ext4');
      assert.equal(spawnSync('cp', ['--sparse=always', layered.path, copy]).status, 0);
      spawnSync('chmod', ['u+w', copy]);
      assert.equal(spawnSync('truncate', ['-s', String(2 * layered.sizeBytes), copy]).status, 0);
      const g = spawnSync('resize2fs', [copy], { encoding: 'utf8' });
      assert.equal(g.status, 0, g.stderr);
      const blocks = Number(
        /Block count:\s+(\d+)/.exec(spawnSync('dumpe2fs', ['-h', copy], { encoding: 'utf8' }).stdout)?.[1],
      );
      assert.equal(blocks * 4096, 2 * layered.sizeBytes);
      assert.equal(spawnSync('e2fsck', ['-fn', copy]).status, 0);
      rmSync(copy);
    });

    test('UML COW over the base: small, and checked against the base', async (t) => {
      if (!requireThat(t, layered !== undefined, 'the layered base')) return;
      const cow = join(scratch, 'disk.cow');
      assert.equal(spawnSync('uml_mkcow', [cow, layered.path]).status, 0);
      const h = checkUmlCow(cow, layered.path);
      assert.equal(h.size, layered.sizeBytes);
      assert.ok(allocatedBytes(cow) < 256 * 1024, `fresh COW ${allocatedBytes(cow)} bytes`);
      assert.throws(() => checkUmlCow(cow, busybox.path), /is backed by/);
    });

    test('--disk-size: below the content is exit 125 with nothing left; an exact size gets its own base', async (t) => {
      if (!requireThat(t, r !== undefined, 'the runner')) return;
      const small = await r!.run(['disk', '--disk-size', '1m', LAYERED_REF]);
      assert.equal(small.code, 125);
      assert.match(
        small.stderr,
        /^berth: --disk-size 1M is below the \d+M the files of .* need \(use --disk-size \d+M or more\)\n$/,
      );
      assert.deepEqual(leftovers(), []);
      const bad = await r!.run(['run', '--disk-size', 'lots', 'busybox', 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /invalid --disk-size value "lots"/);
      const chroot = await r!.run(['run', '--backend', 'chroot', '--disk-size', '1g', 'busybox', 'true']);
      assert.equal(chroot.code, 125);
      assert.match(chroot.stderr, /has no disk/);
      // What a killed build leaves behind is removed by the next build of that image.
      mkdirSync(join(disksDir(), `.stage-${layered.key.slice(0, 12)}-dead`));
      writeFileSync(join(disksDir(), `.${layered.key}-100663296.ext4.tmp-dead`), 'half');
      // Two builders of one new base at once: one builds, the other waits and reuses it.
      const both = await Promise.all([
        diskRun(['--disk-size', '96m', LAYERED_REF]),
        diskRun(['--disk-size', '96m', LAYERED_REF]),
      ]);
      assert.deepEqual(both.map((x) => x.built).sort(), [false, true], 'exactly one of them built it');
      const [a, b] = both.map((x) => x.disk) as [BaseDisk, BaseDisk];
      assert.equal(a.path, b.path);
      assert.equal(a.sizeBytes, 96 * 1024 ** 2);
      assert.equal(statSync(a.path).size, 96 * 1024 ** 2);
      assert.deepEqual(leftovers(), []);
      // The minimum it names really holds the image.
      const tight = await disk(['--disk-size', String(layered.minimumBytes), LAYERED_REF]);
      assert.equal(tight.sizeBytes, layered.minimumBytes);
      assert.equal(spawnSync('e2fsck', ['-fn', tight.path]).status, 0);
      assert.equal(stat(tight.path, '/etc/shadow')?.gid, 42);
    });

    test('rmi removes the bases of the removed image, not the others', async (t) => {
      if (!requireThat(t, layered !== undefined && busybox !== undefined, 'the bases of the previous tests')) return;
      const res = await r!.run(['rmi', LAYERED_REF]);
      assert.equal(res.code, 0, res.stderr);
      const names = readdirSync(disksDir());
      assert.equal(names.filter((n) => n.startsWith(layered.key)).length, 0, names.join(' '));
      assert.ok(existsSync(busybox.path), 'the busybox base stays');
    });
  });
}
