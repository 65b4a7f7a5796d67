/**
 * -v on every backend: a directory and a single file, read-write and read-only; what the command
 * writes inside is seen outside and the reverse. A backend that cannot share refuses before anything
 * boots: one line, exit 125, nothing left.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNothingLeft, type Check } from './checks.js';
import type { Runner } from '../helpers/berth-cli.js';

/** Backends without host sharing: -v is refused before anything boots. */
const refusesBinds = (b: string) => b === 'microvm';

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
  return {
    dir,
    file: join(fileDir, 'conf.txt'),
    link: join(fileDir, 'link.txt'),
    cleanup: () => {
      for (const d of [dir, fileDir]) rmSync(d, { recursive: true, force: true });
    },
  };
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
        if (refusesBinds(b)) {
          for (const v of [`${h.dir}:/data`, `${h.file}:/opt/cfg/conf.txt:ro`]) {
            const res = await r.run(['run', '--rm', '--backend', b, '-v', v, '--', 'true']);
            assert.equal(res.code, 125, res.stderr);
            assert.match(res.stderr, /^berth: .*-v/);
            assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
          }
          await assertNothingLeft(r);
          return;
        }
        // Read-write: the file's target (and its directory) does not exist in the image.
        const rw = await runOk(r, [
          'run',
          '--rm',
          '--backend',
          b,
          '-v',
          `${h.dir}:/data`,
          '-v',
          `${h.file}:/opt/cfg/conf.txt`,
          '-v',
          `${h.link}:/opt/cfg/via-link.txt:ro`,
          '--',
          'sh',
          '-c',
          'cat /opt/cfg/conf.txt /data/hello.txt /opt/cfg/via-link.txt; test -f /opt/cfg/conf.txt || exit 3; ' +
            'ls /opt/cfg; echo inside > /opt/cfg/conf.txt; echo back > /data/out.txt; ' +
            // The file's directory was staged only for the bind: nothing of it stays mounted.
            'if grep -q /dev/.berth-bind- /proc/self/mountinfo; then exit 4; fi; if ls /dev/.berth-bind-* 2>/dev/null; then exit 5; fi',
        ]);
        assert.equal(rw, 'conf from host\nfrom host\nvia link\nconf.txt\nvia-link.txt\n');
        assert.equal(readFileSync(h.file, 'utf8'), 'inside\n');
        assert.equal(readFileSync(join(h.dir, 'out.txt'), 'utf8'), 'back\n');
        // Read-only: both readable, neither writable; the host copies are untouched.
        const ro = await runOk(r, [
          'run',
          '--rm',
          '--backend',
          b,
          '-v',
          `${h.dir}:/data:ro`,
          '-v',
          `${h.file}:/opt/cfg/conf.txt:ro`,
          '--',
          'sh',
          '-c',
          'cat /opt/cfg/conf.txt /data/hello.txt; if (echo x > /opt/cfg/conf.txt) 2>/dev/null; then exit 6; fi; ' +
            'if touch /data/nope 2>/dev/null; then exit 7; fi; echo ro-ok',
        ]);
        assert.equal(ro, 'inside\nfrom host\nro-ok\n');
        assert.equal(readFileSync(h.file, 'utf8'), 'inside\n');
        assert.equal(existsSync(join(h.dir, 'nope')), false);
        await assertNothingLeft(r);
      } finally {
        h.cleanup();
      }
    },
  },
];
