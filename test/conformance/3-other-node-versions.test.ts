/**
 * berth on the other supported Node versions (package.json engines: 20, 22, 24; ADR 0027): under
 * the official build of each major the suite is not running on, the unit tests and the
 * `node-versions` conformance subset on every backend. The CLI the conformance runners start, and
 * the monitors and helpers it starts, all run on that Node (process.execPath). Which user runs berth
 * does not depend on the Node version, so the two modes are split between the versions: the first
 * other version runs the subset as root, the second as the test user (the suite's own run, on this
 * Node, has both); this halves the pass's VM boots and base-disk builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, isRoot } from '../helpers/berth-cli.js';
import { requireThat } from '../helpers/requirements.js';
import { fetchNode, NODE_BUILDS, otherMajors } from '../helpers/node-builds.js';
import { SUBSETS } from './subset.js';

const BACKENDS = ['chroot', 'container', 'uml', 'microvm'];
const CHECKS = SUBSETS['node-versions']!;

/** The TAP lines of failed tests, each with its YAML block (to the "..." that ends it). */
function failures(tap: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of tap.split('\n')) {
    if (/^\s*not ok /.test(line)) inBlock = true;
    if (inBlock) out.push(line);
    if (inBlock && /^\s*\.\.\.$/.test(line)) inBlock = false;
  }
  return out.join('\n').slice(-20_000);
}

/** "NAME: SECONDS s" for the top-level TAP entries of the conformance suites (the rest summed as the unit tests). */
function timings(tap: string): string {
  const lines = tap.split('\n');
  let unit = 0;
  const out: string[] = [];
  lines.forEach((l, i) => {
    const m = /^(?:not )?ok \d+ - (.*)$/.exec(l);
    const ms = m && /^\s+duration_ms: ([\d.]+)/.exec(lines[i + 2] ?? '');
    if (!m || !ms) return;
    if (m[1]!.startsWith('conformance: ')) out.push(`${m[1]}: ${(Number(ms[1]) / 1000).toFixed(0)} s`);
    else unit += Number(ms[1]);
  });
  return [`unit tests (sum of their durations): ${(unit / 1000).toFixed(0)} s`, ...out].join(', ');
}

function runPass(node: string, files: string[], mode: string): Promise<{ code: number | null; stdout: string }> {
  // Without NODE_TEST_CONTEXT, which the outer runner sets and which makes a nested `node --test` run nothing.
  const { NODE_TEST_CONTEXT: _outer, ...env } = process.env;
  return new Promise((res, rej) => {
    const child = spawn(node, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files], {
      cwd: REPO,
      env: { ...env, BERTH_TEST_SUBSET: 'node-versions', BERTH_TEST_MODES: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout }));
  });
}

/** The suite's files (named N-conformance-BACKEND.test.js: node --test runs files in path order). */
const SUITE_FILES = readdirSync(join(REPO, 'build', 'test', 'conformance')).filter((f) =>
  /^\d+-conformance-[a-z]+\.test\.js$/.test(f),
);
const CONFORMANCE = BACKENDS.map((b) => {
  const file = SUITE_FILES.find((f) => f.endsWith(`-conformance-${b}.test.js`));
  assert.ok(file, `the conformance file of ${b} is built`);
  return join(REPO, 'build', 'test', 'conformance', file);
});

otherMajors().forEach((major, i) => {
  const version = NODE_BUILDS[major]!;
  const mode = i % 2 === 0 ? 'root' : 'rootless';
  test(`Node ${version}: the unit tests, and the conformance subset on every backend as ${mode === 'root' ? 'root' : 'the test user'}`, {
    timeout: 1_800_000,
  }, async (t) => {
    if (!requireThat(t, isRoot(), 'root (the conformance subset runs berth as root and as a test user)')) return;
    const node = fetchNode(version);
    const unit = spawnSync('find', [join(REPO, 'build', 'test', 'unit'), '-name', '*.test.js'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
    assert.ok(unit.length > 0, 'unit tests are built');
    const r = await runPass(node, [...unit, ...CONFORMANCE], mode);
    t.diagnostic(`Node ${version}: ${timings(r.stdout)}`);
    assert.equal(r.code, 0, failures(r.stdout));
    assert.match(r.stdout, /^# fail 0$/m);
    assert.match(r.stdout, /^# skipped 0$/m);
    // Every backend really ran the subset, in this pass's mode.
    for (const name of CHECKS) {
      const passed = r.stdout
        .split('\n')
        .filter((l) => l.trim().replace(/^ok \d+ - /, '') === name && /^\s*ok /.test(l)).length;
      assert.equal(passed, BACKENDS.length, `"${name}" passed on ${passed} of ${BACKENDS.length} backends`);
    }
  });
});
