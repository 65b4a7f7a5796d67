/**
 * `berth login` / `logout` against a real docker-registry with htpasswd (bcrypt) auth on
 * 127.0.0.1: a wrong password is one clear line and exit 125 with nothing stored; after login a
 * pull works; the auth file is mode 0600; after logout the pull is refused again. Also reading
 * credentials from ~/.docker/config.json. As root and as the unprivileged test user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { ensureTools, startRegistry, singleImageLayout, haveTool, type RunningRegistry } from '../registry/fixtures.js';
import { makeRunner, isRoot, type Runner } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { makeRootfs } from './fixtures.js';

let work = '';
let registry: RunningRegistry | undefined;
let missing: string | undefined;

before(async () => {
  if (!isRoot()) return;
  const absent = await ensureTools();
  if (!(await haveTool('htpasswd'))) absent.push('apache2-utils (htpasswd)');
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-login-'));
  chmodSync(work, 0o755);
  const hp = spawnSync('htpasswd', ['-Bbn', 'alice', 's3cret'], { encoding: 'utf8' });
  writeFileSync(join(work, 'htpasswd'), hp.stdout);
  const layout = join(work, 'layout');
  makeRootfs(join(work, 'rootfs'), 'private image');
  await singleImageLayout(layout, work, [join(work, 'rootfs')], '1');
  registry = await startRegistry(work, [
    'auth:',
    '  htpasswd:',
    '    realm: berth-test',
    `    path: ${join(work, 'htpasswd')}`,
  ]);
  await execa('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    '--dest-creds',
    'alice:s3cret',
    `oci:${layout}:1`,
    `docker://${registry.host}/private/app:1`,
  ]);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const mode of ['root', 'rootless'] as const) {
  describe(`berth login as ${mode}`, () => {
    let r: Runner | undefined;
    before(() => {
      if (isRoot() && !missing) r = makeRunner(mode);
    });
    after(() => r?.cleanup());

    it('refuses a wrong password, logs in, pulls, logs out', { timeout: 120_000 }, async (t) => {
      if (
        !requireThat(t, isRoot(), 'root (starts a registry, creates the test user)') ||
        !requireThat(t, !missing, missing ?? '')
      )
        return;
      const auth = join(r!.root, 'auth.json');
      const env = { REGISTRY_AUTH_FILE: auth };
      const ref = `${registry!.host}/private/app:1`;
      const anon = await r!.run(['pull', ref], { env });
      assert.equal(anon.code, 125);
      assert.match(anon.stderr, /refused access \(HTTP 401.*berth login/);

      const wrong = await r!.run(['login', '-u', 'alice', '--password-stdin', registry!.host], {
        input: 'wrong\n',
        env,
      });
      assert.equal(wrong.code, 125);
      assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
      assert.match(wrong.stderr, /login to 127\.0\.0\.1:\d+ failed: wrong user name or password/);
      assert.equal((await r!.hostRun('test', ['-e', auth])).code, 1, 'nothing stored');

      const ok = await r!.run(['login', '-u', 'alice', '--password-stdin', registry!.host], { input: 's3cret\n', env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Login Succeeded/);
      const st = await r!.hostRun('stat', ['-c', '%a', auth]);
      assert.equal(st.stdout.trim(), '600');
      const pulled = await r!.run(['pull', ref], { env });
      assert.equal(pulled.code, 0, pulled.stderr);
      const res = await r!.run(['run', '--rm', '--backend', 'chroot', ref, '--', 'cat', '/etc/msg'], { env });
      assert.equal(res.stdout, 'private image\n', res.stderr);

      assert.equal((await r!.run(['logout', registry!.host], { env })).code, 0);
      const again = await r!.run(['pull', ref], { env });
      assert.equal(again.code, 125, 'credentials are gone after logout');
      const twice = await r!.run(['logout', registry!.host], { env });
      assert.equal(twice.code, 125);
      assert.match(twice.stderr, /not logged in/);
    });

    it('reads credentials from ~/.docker/config.json', { timeout: 60_000 }, async (t) => {
      if (!requireThat(t, isRoot(), 'root') || !requireThat(t, !missing, missing ?? '')) return;
      const dockerDir = join(r!.root, 'docker');
      const cfg = JSON.stringify({
        auths: { [registry!.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } },
      });
      assert.equal(
        (await r!.hostRun('sh', ['-c', `mkdir -p ${dockerDir} && printf '%s' '${cfg}' > ${dockerDir}/config.json`]))
          .code,
        0,
      );
      const env = { DOCKER_CONFIG: dockerDir, REGISTRY_AUTH_FILE: join(r!.root, 'none.json') };
      const pulled = await r!.run(['pull', `${registry!.host}/private/app:1`], { env });
      assert.equal(pulled.code, 0, pulled.stderr);
    });
  });
}
