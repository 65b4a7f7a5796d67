/**
 * The CLI's entry as installed (dist/berth.cjs, ADR 0073): it compiles the hot bundle
 * (dist/berth-cli.cjs, built from main.ts) with a V8 code cache, so a start deserialises bytecode
 * instead of parsing ~490 KB of JavaScript. Node 20 has no compile cache of its own
 * (module.enableCompileCache is Node 22).
 *
 * The cache file is named after a hash of the bundle (scripts/bundle.mjs) and the running V8's
 * version, so a rebuilt bundle never meets a stale cache and each Node keeps its own; V8 itself
 * refuses one made with other V8 flags.
 * The build writes it with a first run; a run that finds it missing or refused writes a fresh one
 * when it exits (best effort: a read-only install just compiles, as before). The VM drivers'
 * bundles are compiled the same way when a command first needs one (loadBundle, ADR 0083).
 *
 * The bundle's import() calls (cold ESM entries beside it) are rewritten to __berthImport() by the
 * build: code compiled by node:vm cannot call import() itself on Node 20 without a flag. process.exit
 * still ends the process the same way: the cache is written by an 'exit' listener.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { COLD_VERBS } from './cold-verbs.js';

/** All set by scripts/bundle.mjs (esbuild define): the hot and the cold bundle, and their caches' names. */
declare const BERTH_CLI_BUNDLE: string;
declare const BERTH_CLI_CODE_CACHE: string;
declare const BERTH_CLI_COLD: string;
declare const BERTH_CLI_COLD_CACHE: string;
/** The VM drivers' bundles (uml-driver.cjs, microvm-driver.cjs), each with its cache's name (ADR 0083). */
declare const BERTH_VM_DRIVERS: Record<string, string>;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache beside the bundle, atomically; gives up quietly where it cannot write. */
function writeCache(script: Script, file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch {
    return;
  }
  try {
    writeSync(fd, script.createCachedData());
    closeSync(fd);
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Compiles FILE (one function expression: (exports, require, module, __filename, __dirname,
 * __berthImport) => the module; scripts/bundle.mjs wraps it) with the V8 code cache CACHE beside it.
 * Per V8 version: Node versions that take turns on one install (the test run's other-Node passes)
 * would otherwise refuse and rewrite each other's cache on every start.
 */
function compileCached(name: string, cache: string): (...args: unknown[]) => void {
  const file = join(__dirname, name);
  const cacheFile = join(__dirname, `${cache}.${process.versions.v8}.cache`);
  const cachedData = readCache(cacheFile);
  const script = new Script(readFileSync(file, 'utf8'), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // At exit: by then V8 has compiled the functions this run called, and the cache holds them too.
    process.once('exit', () => writeCache(script, cacheFile));
  }
  return script.runInThisContext() as (...args: unknown[]) => void;
}

/** Bundles compiled by loadBundle, by file name: each runs once, as a required module would. */
const loaded = new Map<string, Record<string, unknown>>();

/** A CommonJS bundle beside this file, compiled under its own code cache (scripts/bundle.mjs wraps it). */
function loadBundle(file: string, cache: string): Record<string, unknown> {
  const done = loaded.get(file);
  if (done) return done;
  const mod = { exports: {} as Record<string, unknown> };
  compileCached(file, cache)(mod.exports, require, mod, join(__dirname, file), __dirname, importBeside);
  loaded.set(file, mod.exports);
  return mod.exports;
}

/** The cold CLI (yargs and every verb off the hot path), one CommonJS bundle with its own cache. */
function loadCold(): Record<string, unknown> {
  return loadBundle(BERTH_CLI_COLD, BERTH_CLI_COLD_CACHE);
}

function importBeside(specifier: string): Promise<unknown> {
  if (specifier === `./${BERTH_CLI_COLD}`) return Promise.resolve().then(loadCold);
  const driver = specifier.startsWith('./') ? specifier.slice(2) : '';
  const cache = Object.hasOwn(BERTH_VM_DRIVERS, driver) ? BERTH_VM_DRIVERS[driver] : undefined;
  if (cache !== undefined) return Promise.resolve().then(() => loadBundle(driver, cache));
  return import(specifier.startsWith('./') ? pathToFileURL(join(__dirname, specifier)).href : specifier);
}

const verb = process.argv[2];
if (verb !== undefined && COLD_VERBS.has(verb)) {
  // A verb only yargs handles: the hot bundle would only hand it over (ADR 0079).
  (loadCold().coldMain as (argv: string[]) => void)(process.argv.slice(2));
} else {
  compileCached(BERTH_CLI_BUNDLE, BERTH_CLI_CODE_CACHE)(
    exports,
    require,
    module,
    join(__dirname, BERTH_CLI_BUNDLE),
    __dirname,
    importBeside,
  );
}
