/**
 * What `berth run` loads before it spawns the shim (ADR 0051): the static import closure of the
 * CLI entry is initialised at start, so it must not reach the modules only cold paths need, and
 * the hot bundle (dist/berth-cli.cjs, built before the unit tests) holds no npm package: those live in
 * ESM entries of their own (scripts/bundle.mjs) that it reaches through import() (rewritten to
 * __berthImport(), which the CLI's loader dist/berth.cjs passes it: ADR 0073).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

/**
 * Loaded by cold paths only (pulls, copies, Debian and kernel fetches, commits). node:crypto too
 * (~4-7 ms to load on Node 20): ids and temp names come from src/core/random.ts (ADR 0002, 0073).
 */
const COLD_ONLY = [
  'got',
  'execa',
  'tar',
  'xz-decompress',
  'node:fs/promises',
  'node:stream/promises',
  'node:zlib',
  'node:crypto',
];

/** The specifiers a file imports for values at load time (no types, no import()). */
function staticValueImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const n of sf.statements) {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly =
        c?.isTypeOnly ||
        (c !== undefined &&
          c.name === undefined &&
          c.namedBindings !== undefined &&
          ts.isNamedImports(c.namedBindings) &&
          c.namedBindings.elements.length > 0 &&
          c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(n) &&
      !n.isTypeOnly &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier)
    ) {
      out.push(n.moduleSpecifier.text);
    }
  }
  return out;
}

/** Non-relative specifiers reached from ENTRY through static value imports, with one importer each. */
function staticClosure(entry: string): Map<string, string> {
  return walk(entry).external;
}

/** The files (repository-relative) and non-relative specifiers ENTRY reaches through static value imports. */
function walk(entry: string): { files: string[]; external: Map<string, string> } {
  const external = new Map<string, string>();
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const s of staticValueImports(file)) {
      if (s.startsWith('.')) {
        const target = resolve(dirname(file), s).replace(/\.js$/, '.ts');
        if (target.endsWith('.ts')) todo.push(target);
      } else if (!external.has(s)) external.set(s, relative(ROOT, file));
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)), external };
}

test('the CLI entry reaches no cold-only module through static imports', () => {
  const reached = staticClosure(join(ROOT, 'src', 'cli', 'main.ts'));
  const bad = COLD_ONLY.filter((m) => reached.has(m)).map((m) => `${m} (imported by ${reached.get(m)})`);
  assert.deepEqual(bad, [], 'load these with import() where they are used');
  // The walk itself works: the hot path does spawn the shim.
  assert.ok(reached.has('node:child_process'));
});

test('the VM drivers (loaded by every VM run, pool claim and clone) reach no npm package through static imports', () => {
  // ADR 0066: uml-driver.ts imported execa at its top, so a pool run loaded 220 KB of it for nothing.
  // (Node's own modules they may load: a cold boot builds disks and an initramfs with them.)
  for (const driver of ['uml/uml-driver.ts', 'uml/uml-launch.ts', 'microvm/microvm-driver.ts']) {
    const reached = staticClosure(join(ROOT, 'src', 'drivers', driver));
    const bad = COLD_ONLY.filter((m) => !m.startsWith('node:') && reached.has(m)).map(
      (m) => `${m} (imported by ${reached.get(m)})`,
    );
    assert.deepEqual(bad, [], `${driver}: load these with import() where they are used`);
  }
});

test('a VM start (a cached initramfs and base disk) loads neither node:zlib nor node:fs/promises', () => {
  // ADR 0071's addendum: 3 and 2 ms of every start, for an initramfs or a disk that is rarely built.
  for (const driver of ['uml/uml-launch.ts', 'microvm/microvm-driver.ts']) {
    const reached = staticClosure(join(ROOT, 'src', 'drivers', driver));
    const bad = ['node:zlib', 'node:fs/promises']
      .filter((m) => reached.has(m))
      .map((m) => `${m} (imported by ${reached.get(m)})`);
    assert.deepEqual(bad, [], `${driver}: load these with import() where they are used`);
  }
});

test('the hot bundle holds no npm package, and every import() in it names a file beside it', () => {
  const bundle = join(ROOT, 'dist', 'berth-cli.cjs');
  assert.ok(existsSync(bundle), 'dist/berth-cli.cjs is built (npm run build)');
  const text = readFileSync(bundle, 'utf8');
  const packages = [...new Set([...text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]))];
  assert.deepEqual(packages, [], 'npm packages bundled into dist/berth-cli.cjs');
  assert.doesNotMatch(text, /\bimport\(/, 'import() fails in code compiled by node:vm: the build rewrites it');
  const targets = [...text.matchAll(/\b__berthImport\((["'])([^"']+)\1\)/g)]
    .map((m) => m[2]!)
    .filter((t) => !t.startsWith('node:'));
  assert.ok(targets.includes('./vendor-got.mjs'), 'got is reached through its own entry');
  const missing = targets.filter((t) => !t.startsWith('./') || !existsSync(join(ROOT, 'dist', t)));
  assert.deepEqual(missing, []);
});

test("the uml driver's exec, stop and rm (a pool claim) load no disk, kernel or network-attach code", () => {
  // ADR 0069: create and boot are uml-launch.ts, loaded on first use; a claim loaded both (40 files, 160 KB).
  const { files } = walk(join(ROOT, 'src', 'drivers', 'uml', 'uml-driver.ts'));
  const cold = files.filter((f) =>
    /^src\/(disks|kernels|network\/attach)\/|^src\/drivers\/uml\/uml-launch\.ts$/.test(f),
  );
  assert.deepEqual(cold, [], 'load these through uml-launch.ts');
  assert.ok(files.includes('src/drivers/vm/vm-driver.ts'), 'the walk reaches the VM base');
});

test("the VM backends' probe and driver are single CommonJS files: probes required, drivers compiled by the loader", () => {
  // ADR 0071: import() of their split ESM entries started Node's ESM loader and ~20 chunk loads on
  // every VM run; one file each costs neither. ADR 0083: the loader compiles each driver under a
  // V8 code cache of its own (its import() is the loader's, never Node's).
  const text = readFileSync(join(ROOT, 'dist', 'berth-cli.cjs'), 'utf8');
  const loader = readFileSync(join(ROOT, 'dist', 'berth.cjs'), 'utf8');
  for (const name of ['uml-probe', 'uml-driver', 'microvm-probe', 'microvm-driver']) {
    const driver = name.endsWith('-driver');
    assert.ok(!text.includes(`import("./${name}.`), `dist/berth-cli.cjs does not import() ${name}`);
    if (driver) {
      assert.ok(
        text.includes(`__berthImport("./${name}.cjs")`),
        `dist/berth-cli.cjs loads ./${name}.cjs by the loader`,
      );
      assert.match(loader, new RegExp(`"${name}\\.cjs": "${name}\\.[0-9a-f]{16}"`), `the loader caches ${name}`);
    } else {
      assert.ok(text.includes(`require("./${name}.cjs")`), `dist/berth-cli.cjs requires ./${name}.cjs`);
      assert.ok(!text.includes(`Import("./${name}.`), `dist/berth-cli.cjs does not import() ${name}`);
    }
    const cold = readFileSync(join(ROOT, 'dist', `${name}.cjs`), 'utf8');
    const chunks = [...cold.matchAll(/\b(?:require|import|__berthImport)\((["'])(\.\/[^"']+)\1\)/g)].map((m) => m[2]!);
    assert.deepEqual(
      chunks.filter((c) => c.startsWith('./chunks/')),
      [],
      `${name}.cjs loads no ESM chunk`,
    );
    const missing = chunks.filter((c) => !existsSync(join(ROOT, 'dist', c)));
    assert.deepEqual(missing, [], `${name}.cjs names files beside it`);
  }
});
