/**
 * The CLI's loader (dist/berth.cjs, src/cli/loader.ts, ADR 0073) compiles the hot bundle with a V8
 * code cache that the build writes, and that a run whose Node refuses it writes afresh. The cold
 * CLI (dist/cli-cold.cjs: yargs and the verbs off the hot path, ADR 0079) has a cache of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DIST = resolve(import.meta.dirname, '..', '..', '..', '..', 'dist');
const VERSION = (JSON.parse(readFileSync(join(DIST, '..', 'package.json'), 'utf8')) as { version: string }).version;

/** This Node's caches of BUNDLE in DIR (each V8 version has its own: another Node's test pass writes its own). */
function cacheFiles(dir: string, bundle = 'berth-cli'): string[] {
  const suffix = `.${process.versions.v8}.cache`;
  return readdirSync(dir).filter(
    (f) => f.startsWith(`${bundle}.`) && /^[a-z-]+\.[0-9a-f]{16}\./.test(f) && f.endsWith(suffix),
  );
}

function version(dir: string): string {
  return execFileSync(process.execPath, [join(dir, 'berth.cjs'), '--version'], { encoding: 'utf8' }).trim();
}

/** A cold verb: `--help` is laid out by yargs, in the cold bundle. */
function help(dir: string): string {
  return execFileSync(process.execPath, [join(dir, 'berth.cjs'), '--help'], { encoding: 'utf8' });
}

test('the build leaves a code cache beside the hot bundle; this Node keeps its own once written (V8 accepted it)', () => {
  const all = readdirSync(DIST).filter((f) => /^berth-cli\.[0-9a-f]{16}\..+\.cache$/.test(f));
  assert.ok(all.length >= 1, `the build wrote a cache: ${readdirSync(DIST).join(' ')}`);
  // The build's Node has its cache already; another Node (the test run's other-Node passes) writes
  // its own at its first run.
  assert.equal(version(DIST), VERSION);
  const caches = cacheFiles(DIST);
  assert.equal(caches.length, 1, `one cache for this Node in dist/: ${caches.join(' ')}`);
  const file = join(DIST, caches[0]!);
  const before = statSync(file);
  assert.ok(before.size > 0);
  assert.equal(version(DIST), VERSION);
  // A refused cache is replaced by a rename: the same inode means nobody rewrote it.
  assert.equal(statSync(file).ino, before.ino);
});

test('a refused or missing code cache is written afresh, and the next run keeps it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-code-cache-'));
  try {
    for (const f of ['berth.cjs', 'berth-cli.cjs']) copyFileSync(join(DIST, f), join(dir, f));
    const name = cacheFiles(DIST)[0]!;
    writeFileSync(join(dir, name), 'not a V8 code cache');
    assert.equal(version(dir), VERSION, 'a refused cache still runs');
    const written = statSync(join(dir, name));
    assert.ok(written.size > 100, 'the cache was rewritten');
    assert.equal(version(dir), VERSION);
    assert.equal(statSync(join(dir, name)).ino, written.ino, 'the rewritten cache was accepted');
    rmSync(join(dir, name));
    assert.equal(version(dir), VERSION, 'a missing cache still runs');
    assert.deepEqual(cacheFiles(dir), [name], 'and is written');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cold CLI has its own code cache: written by the build, kept by a cold verb, rewritten when refused', () => {
  assert.ok(
    readdirSync(DIST).some((f) => /^cli-cold\.[0-9a-f]{16}\..+\.cache$/.test(f)),
    `the build wrote a cold cache: ${readdirSync(DIST).join(' ')}`,
  );
  // The build's Node has its cold cache already; another Node writes its own at its first cold verb.
  assert.match(help(DIST), /^Usage: berth <command>/m);
  const caches = cacheFiles(DIST, 'cli-cold');
  assert.equal(caches.length, 1, `one cold cache for this Node in dist/: ${readdirSync(DIST).join(' ')}`);
  const file = join(DIST, caches[0]!);
  const before = statSync(file);
  help(DIST);
  assert.equal(statSync(file).ino, before.ino, 'the cold cache was accepted');

  const dir = mkdtempSync(join(tmpdir(), 'berth-code-cache-'));
  try {
    for (const f of ['berth.cjs', 'berth-cli.cjs', 'cli-cold.cjs']) copyFileSync(join(DIST, f), join(dir, f));
    writeFileSync(join(dir, caches[0]!), 'not a V8 code cache');
    const text = help(dir);
    assert.equal(text, help(DIST), 'a refused cold cache still runs');
    const written = statSync(join(dir, caches[0]!));
    assert.ok(written.size > 100, 'the cold cache was rewritten');
    help(dir);
    assert.equal(statSync(join(dir, caches[0]!)).ino, written.ino, 'the rewritten cold cache was accepted');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
