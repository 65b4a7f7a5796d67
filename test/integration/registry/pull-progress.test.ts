/**
 * Byte progress (issue 16, item 6): `berth pull` from a loopback docker-registry under `script`
 * (a real pty, with a size) shows a line per layer with its bytes and rate; the same pull through
 * a pipe, or with -q, shows none. As root and as the unprivileged test user.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRunner, isRoot, type Mode } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import { buildLayout, ensureTools, haveTool, skopeoPush, startRegistry, type RunningRegistry } from './fixtures.js';

let work = '';
let registry: RunningRegistry | undefined;
let missing = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-pull-progress-'));
  const lacking = await ensureTools();
  if (!(await haveTool('script'))) lacking.push('bsdutils');
  if (lacking.length > 0) {
    missing = `${lacking.join(' and ')} not installed`;
    return;
  }
  const layout = await buildLayout(work);
  registry = await startRegistry(work);
  await skopeoPush(layout.dir, '1', `${registry.host}/test/progress:1`);
});

after(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Run a command line under `script` (a pty of 100x30): what the terminal showed. */
function underScript(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `stty cols 100 rows 30; ${quoted}`, '/dev/null'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const LAYER_DONE = /layer [0-9a-f]{12}: [\d.]+ (B|kB|MB) done, [\d.]+ (B|kB|MB)\/s/;

for (const mode of ['root', 'rootless'] as Mode[]) {
  test(`pull shows per-layer bytes and rate on a terminal, nothing through a pipe (${mode})`, {
    timeout: 120_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (the test runs berth as root and as the test user)')) return;
    if (!requireThat(t, missing === '', missing)) return;
    const ref = `${registry!.host}/test/progress:1`;

    const piped = makeRunner(mode);
    t.after(() => piped.cleanup());
    const p = await piped.run(['pull', ref]);
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stderr, /done|\x1b\[/, 'no progress and no escape sequences through a pipe');

    const tty = makeRunner(mode);
    t.after(() => tty.cleanup());
    const w = tty.argv(['pull', ref]);
    const shown = await underScript(w.cmd, w.args, w.env);
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, LAYER_DONE, shown.out);
    const layers = new Set([...shown.out.matchAll(/layer ([0-9a-f]{12}): [\d.]+ \S+ done/g)].map((m) => m[1]));
    assert.equal(layers.size, 2, `one line per layer of the two: ${shown.out}`);
    assert.match(shown.out, /512\.\d kB done|5\d\d\.\d kB done/, "the big layer's bytes");

    const quiet = makeRunner(mode);
    t.after(() => quiet.cleanup());
    const q = quiet.argv(['pull', '-q', ref]);
    const silent = await underScript(q.cmd, q.args, q.env);
    assert.equal(silent.code, 0, silent.out);
    assert.doesNotMatch(silent.out, /done/, `-q on a terminal: only the digest: ${silent.out}`);
  });
}
