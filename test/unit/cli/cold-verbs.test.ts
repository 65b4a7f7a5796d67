/**
 * The loader's list of verbs only yargs handles (src/cli/cold-verbs.ts, ADR 0079) against the CLI's
 * verbs as `berth --help` lists them: none of them is hot, every verb is in one list or the other
 * (cp, template and pool are partly hot: they go through the hot bundle), and a cold verb runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COLD_VERBS } from '../../../src/cli/cold-verbs.js';
import { HOT_VERBS } from '../../../src/cli/cli.js';

const BERTH = resolve(import.meta.dirname, '..', '..', '..', '..', 'dist', 'berth.cjs');
const PARTLY_HOT = ['cp', 'template', 'pool'];

function helpVerbs(): string[] {
  const help = execFileSync(process.execPath, [BERTH, '--help'], { encoding: 'utf8' });
  return [...help.matchAll(/^ {2}berth ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
}

test("every verb is hot, partly hot or in the loader's cold list, and no cold verb is hot", () => {
  const verbs = helpVerbs();
  assert.ok(verbs.length > 30, `berth --help lists the verbs: ${verbs.join(' ')}`);
  const flags = ['--help', '-h'];
  for (const v of COLD_VERBS) {
    assert.ok(!HOT_VERBS.includes(v) && !PARTLY_HOT.includes(v), `${v} is cold, not hot`);
    if (!flags.includes(v)) assert.ok(verbs.includes(v), `${v} is a verb of berth --help`);
  }
  const missing = verbs.filter((v) => !HOT_VERBS.includes(v) && !PARTLY_HOT.includes(v) && !COLD_VERBS.has(v));
  assert.deepEqual(missing, [], 'verbs neither hot nor in COLD_VERBS');
});

test('a cold verb runs from the cold bundle alone: its output, its error and exit status', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-cold-verbs-'));
  try {
    const env = { ...process.env, BERTH_ROOT: root };
    const images = spawnSync(process.execPath, [BERTH, 'images'], { encoding: 'utf8', env });
    assert.equal(images.status, 0, images.stderr);
    assert.match(images.stdout, /^IMAGE\s+DIGEST/);
    const bad = spawnSync(process.execPath, [BERTH, 'inspect', 'no-such-env'], { encoding: 'utf8', env });
    assert.equal(bad.status, 125);
    assert.equal(bad.stderr, 'berth: no such environment: no-such-env (list them with "berth ps -a")\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
