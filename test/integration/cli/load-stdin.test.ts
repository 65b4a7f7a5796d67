/**
 * `berth load < FILE` reads the archive from stdin, as `docker load` does (issue 20.10: it ended in
 * an internal error), and an image the archive does not name (`docker save IMAGE_ID`: RepoTags null)
 * is recorded as `localhost/<image id>:latest`, the id as Docker shows it, never under a path (a
 * spool file's or the archive's). As root and as the unprivileged test user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRunner, type Mode, type Result, type Runner } from '../../helpers/berth-cli.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A one-layer docker-archive with no name (RepoTags null); returns its bytes and the image id. */
function untaggedDockerArchive(work: string): { bytes: Buffer; id: string } {
  const root = join(work, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'hello'), 'hello from an untagged archive\n');
  const dir = join(work, 'archive');
  mkdirSync(dir);
  const t = spawnSync('tar', ['--numeric-owner', '-C', root, '-cf', join(dir, 'layer.tar'), '.']);
  assert.equal(t.status, 0, String(t.stderr));
  const layer = readFileSync(join(dir, 'layer.tar'));
  const config = Buffer.from(
    JSON.stringify({
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] },
    }),
  );
  const id = sha(config);
  writeFileSync(join(dir, `${id}.json`), config);
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify([{ Config: `${id}.json`, RepoTags: null, Layers: ['layer.tar'] }]),
  );
  const out = join(work, 'untagged.tar');
  const a = spawnSync('tar', ['-C', dir, '-cf', out, 'manifest.json', `${id}.json`, 'layer.tar']);
  assert.equal(a.status, 0, String(a.stderr));
  chmodSync(work, 0o755);
  chmodSync(out, 0o644);
  return { bytes: readFileSync(out), id };
}

function loadFromStdin(r: Runner, input: Buffer): Promise<Result> {
  const child = r.spawn(['load']);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(input);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
}

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`berth load < FILE, and an untagged archive's name (${mode})`, { timeout: 120_000 }, async () => {
    const r = makeRunner(mode);
    const work = mkdtempSync(join(tmpdir(), 'berth-load-stdin-'));
    try {
      const { bytes, id } = untaggedDockerArchive(work);
      const name = `localhost/${id.slice(0, 12)}:latest`;
      const res = await loadFromStdin(r, bytes);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, `Loaded image: ${name} (sha256:${res.stdout.match(/sha256:([0-9a-f]{64})/)?.[1]})\n`);
      const images = await r.run(['images']);
      assert.match(images.stdout, new RegExp(name.replace(/[./]/g, '\\$&')));
      assert.doesNotMatch(images.stdout, /archive:|\.tar/, 'no image is named after a file');
      // The same archive from a file gets the same name.
      const file = await r.run(['load', '-i', join(work, 'untagged.tar')]);
      assert.equal(file.code, 0, file.stderr);
      assert.match(file.stdout, new RegExp(`^Loaded image: ${name.replace(/[./]/g, '\\$&')} `));
      // Nothing on stdin: one line, exit 125.
      const empty = await loadFromStdin(r, Buffer.alloc(0));
      assert.equal(empty.code, 125, empty.stderr);
      assert.match(empty.stderr, /^berth: berth load read nothing from its input \(give an archive/);
      assert.equal(empty.stderr.trim().split('\n').length, 1);
    } finally {
      r.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
}
