/**
 * berth installed from its npm tarball works (issue 16, item 3; ADR 0027): `npm pack`, then
 * `npm install ./berth-0.1.0.tgz` in an empty project, then `npx berth run --backend X -- echo hi`
 * on every backend and `import('berth')` from the project, as root and as the unprivileged test
 * user. npm runs no install scripts of a dependency, so the tarball must carry the native helpers
 * ready to run (static x86_64) and dist/ must need nothing but the package's dependencies.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { ensureTestUser } from '../../helpers/test-user.js';
import { installProject, npmCacheOfTheRun, packBerth, runAs, workDir, type Packed } from '../../helpers/npm-package.js';
import { testMirrorMissing } from '../../helpers/test-mirror.js';

const have = (cmd: string, arg = '--version') => spawnSync(cmd, [arg]).status === 0;
const missing = !isRoot()
  ? 'root (installs as root and as the test user)'
  : !have('gcc') || !have('make') || !existsSync('/usr/lib/x86_64-linux-gnu/libc.a')
    ? 'gcc, make and libc6-dev (the pack builds the static helpers)'
    : !have('npm') || !have('file')
      ? 'npm and file'
      : !npmCacheOfTheRun()
        ? "the npm cache of berth's dependencies that scripts/test.mjs fills as root (run the tests through it)"
        : testMirrorMissing(); // uml and microvm fetch their kernels in the fresh stores

const BACKENDS: Array<{ name: string; args: string[] }> = [
  { name: 'chroot', args: [] },
  { name: 'container', args: [] },
  { name: 'uml', args: [] },
  { name: 'microvm', args: ['--accel', 'tcg'] },
];
const HELPERS = ['berth-shim', 'berth-guest-init'];

const work = workDir();
let packed: Packed | undefined;

describe('berth from its npm tarball', { concurrency: 2 }, () => {
  before(async () => {
    if (!missing) packed = await packBerth(work);
  });

  it('the tarball holds the static helpers and the runtime, nothing from the build or the tests', {
    timeout: 900_000,
  }, (t) => {
    if (!requireThat(t, !missing, missing ?? '')) return;
    const files = packed!.files;
    for (const h of HELPERS)
      assert.ok(
        files.includes(`native/prebuilt/linux-x64/${h}`),
        `${h} is shipped: ${files.filter((f) => f.startsWith('native/')).join(' ')}`,
      );
    for (const f of [
      'dist/berth.cjs',
      'dist/index.mjs',
      'build/src/index.d.ts',
      'package.json',
      'native/Makefile',
      'native/init/main.c',
      'native/shim/main.c',
    ])
      assert.ok(files.includes(f), `${f} is shipped`);
    const stray = files.filter(
      (f) =>
        /^(test|bench|build\/test|build\/bench|native\/build|native\/bin)\//.test(f) ||
        /\.(map|o|tgz)$/.test(f) ||
        (f.startsWith('build/') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(stray, [], 'no tests, source maps, objects or compiled JS beside the bundle');
  });

  for (const mode of ['root', 'rootless'] as Mode[]) {
    describe(`installed and run as ${mode === 'root' ? 'root' : 'an unprivileged user'}`, { concurrency: 1 }, () => {
      let project = '';
      let env: Record<string, string> = {};
      before(async () => {
        if (missing) return;
        project = await installProject(work, mode, packed!.tarball);
        const root = join(work, `store-${mode}`);
        mkdirSync(root, { mode: 0o700 });
        if (mode === 'rootless') {
          const u = ensureTestUser();
          spawnSync('chown', [`${u.uid}:${u.gid}`, root]);
        }
        env = { BERTH_ROOT: root };
      });
      after(async () => {
        if (!project) return;
        const ps = await runAs(mode, 'npx', ['berth', 'ps', '-a', '-q'], { cwd: project, env, timeoutMs: 60_000 });
        const ids = ps.stdout.split('\n').filter(Boolean);
        if (ids.length > 0)
          await runAs(mode, 'npx', ['berth', 'rm', '-f', ...ids], { cwd: project, env, timeoutMs: 120_000 });
      });

      it('the installed helpers are static executables and no devDependency came along', { timeout: 900_000 }, (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        const pkg = join(project, 'node_modules', 'berth');
        for (const h of HELPERS) {
          const p = join(pkg, 'native', 'prebuilt', 'linux-x64', h);
          assert.match(
            spawnSync('file', ['-b', p], { encoding: 'utf8' }).stdout,
            /statically linked|static-pie linked/,
            p,
          );
          const ldd = spawnSync('ldd', [p], { encoding: 'utf8' });
          assert.match(ldd.stdout + ldd.stderr, /not a dynamic executable|statically linked/, p);
        }
        for (const dev of ['esbuild', 'typescript', '@types/node'])
          assert.ok(!existsSync(join(project, 'node_modules', dev)), `${dev} is not installed`);
      });

      for (const b of BACKENDS) {
        it(`npx berth run --backend ${b.name} -- echo hi`, { timeout: 900_000 }, async (t) => {
          if (!requireThat(t, !missing, missing ?? '')) return;
          const r = await runAs(mode, 'npx', ['berth', 'run', '--backend', b.name, ...b.args, '--', 'echo', 'hi'], {
            cwd: project,
            env,
            timeoutMs: 840_000,
          });
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout.replace(/\r/g, ''), 'hi\n', r.stderr);
        });
      }

      it('the library: import("berth") from the project creates, execs in and removes an environment', {
        timeout: 900_000,
      }, async (t) => {
        if (!requireThat(t, !missing, missing ?? '')) return;
        const script = `import('berth').then(async (berth) => {
          const env = await berth.create({ backend: 'chroot', image: 'busybox', command: ['sleep', '600'] });
          const r = await env.exec(['echo', 'hi']);
          await env.remove(true);
          const probes = await berth.backends();
          process.stdout.write(JSON.stringify({ stdout: r.stdout, exitCode: r.exitCode, ok: probes.filter((p) => p.probe.ok).map((p) => p.name) }));
        }).catch((e) => { process.stderr.write(String(e && e.message) + '\\n'); process.exit(1); });`;
        const r = await runAs(mode, process.execPath, ['-e', script], { cwd: project, env, timeoutMs: 300_000 });
        assert.equal(r.code, 0, r.stderr);
        const got = JSON.parse(r.stdout) as { stdout: string; exitCode: number; ok: string[] };
        assert.deepEqual({ stdout: got.stdout, exitCode: got.exitCode }, { stdout: 'hi\n', exitCode: 0 });
        for (const b of ['chroot', 'container', 'uml'])
          assert.ok(got.ok.includes(b), `the ${b} probe is ok: ${got.ok.join(', ')}`);
      });
    });
  }
});
