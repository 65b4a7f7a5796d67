// Bundle berth with esbuild (ADR 0002: start-up time is a feature).
//  - dist/berth-cli.cjs: the CLI. CommonJS on purpose: Node 20 starts a CJS entry ~17 ms faster
//    than an ESM one (no ESM loader to compile). It holds only the hot path (run, exec); every cold
//    part is loaded on demand from the bundles below.
//  - dist/cli-cold.cjs: yargs and every other verb, one CommonJS file too (ADR 0079).
//  - dist/berth.cjs: the CLI's entry (src/cli/loader.ts), which compiles dist/berth-cli.cjs and,
//    for a cold verb, dist/cli-cold.cjs, each with its V8 code cache
//    dist/<bundle>.<hash>.<V8 version>.cache (ADR 0073); first runs here write them. The VM
//    drivers (dist/uml-driver.cjs, dist/microvm-driver.cjs) are compiled the same way (ADR 0083).
//  - dist/*.mjs: the library (index.mjs) and the cold parts, ESM with code splitting.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };

rmSync('dist', { recursive: true, force: true });

// npm packages only cold paths use (pulls, copies, Debian and kernel fetches), always reached by
// `await import(...)`: their own ESM entries, so the hot CLI neither reads nor parses them (ADR 0051).
const VENDOR = { got: 'vendor-got', execa: 'vendor-execa', tar: 'vendor-tar', 'xz-decompress': 'vendor-xz-decompress' };
const vendorEntries = Object.fromEntries(
  Object.entries(VENDOR).map(([pkg, out]) => [out, fileURLToPath(import.meta.resolve(pkg))]),
);

await build({
  ...common,
  entryPoints: {
    index: 'src/index.ts',
    'image-build': 'src/images/builtin/build.ts',
    doctor: 'src/api/doctor.ts',
    progress: 'src/cli/progress.ts',
    'oci-image': 'src/images/oci-image.ts',
    'image-ref': 'src/images/ref.ts',
    // Run as its own process under `berth-shim unshare` (src/images/unpack/apply-owners.ts finds it).
    'apply-owners': 'src/images/unpack/apply-owners-main.ts',
    'remove-layer': 'src/images/unpack/remove-layer.ts',
    'debian-image': 'src/images/debian/debian-image.ts',
    disks: 'src/api/disks.ts',
    kernels: 'src/api/kernels.ts',
    'uml-driver': 'src/drivers/uml/uml-driver.ts',
    'uml-probe': 'src/drivers/uml/uml-probe.ts',
    'microvm-driver': 'src/drivers/microvm/microvm-driver.ts',
    'microvm-probe': 'src/drivers/microvm/microvm-probe.ts',
    checkpoints: 'src/api/checkpoints.ts',
    'vm-monitor': 'src/drivers/vm/vm-monitor-main.ts',
    'auto-remove': 'src/api/auto-remove-main.ts',
    'image-sources': 'src/images/sources/index.ts',
    'api-export': 'src/api/export.ts',
    'registry-login': 'src/images/registry/login.ts',
    'network-attach': 'src/network/attach/network-attach.ts',
    // A bridge network's resolver, its own process (src/network/dns/resolver-process.ts finds it).
    'dns-resolver': 'src/network/dns/resolver-main.ts',
    networks: 'src/api/networks.ts',
    'port-spec': 'src/network/port-spec.ts',
    // The package's second entry, berth/serve (package.json exports).
    serve: 'src/serve/index.ts',
    ...vendorEntries,
  },
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
});

// The hot CLI: cold modules become imports of the ESM entries above.
const COLD = {
  './build.js': './image-build.mjs',
  './cold-main.js': './cli-cold.cjs',
  './api/doctor.js': './doctor.mjs',
  './progress.js': './progress.mjs',
  './oci-image.js': './oci-image.mjs',
  './ref.js': './image-ref.mjs',
  './api/disks.js': './disks.mjs',
  './disks.js': './disks.mjs',
  './api/kernels.js': './kernels.mjs',
  // The VM backends' register.ts (src/drivers/uml/, src/drivers/microvm/) load these on first use:
  // single-file CommonJS bundles (VM_COLD below), not the split ESM entries the library uses.
  './uml-driver.js': './uml-driver.cjs',
  './uml-probe.js': './uml-probe.cjs',
  './microvm-driver.js': './microvm-driver.cjs',
  './microvm-probe.js': './microvm-probe.cjs',
  './api/checkpoints.js': './checkpoints.mjs',
  // src/api/images.ts reaches these by longer paths; external too, so their graphs (unpack, shim
  // argv builders) never make hot modules lazily initialised.
  '../images/unpack/remove-layer.js': './remove-layer.mjs',
  '../images/oci-image.js': './oci-image.mjs',
  '../images/debian/debian-image.js': './debian-image.mjs',
  './sources/index.js': './image-sources.mjs',
  '../images/sources/index.js': './image-sources.mjs',
  './api/export.js': './api-export.mjs',
  './images/registry/login.js': './registry-login.mjs',
  '../../network/attach/network-attach.js': './network-attach.mjs',
  './api/networks.js': './networks.mjs',
  './network/port-spec.js': './port-spec.mjs',
};
/** Cold modules become imports of their ESM entries, apart from those in INLINE (entries' names). */
const coldModules = (inline = []) => ({
  name: 'cold-modules',
  setup(b) {
    b.onResolve(
      {
        filter:
          /^\.\/(build|cold-main|api\/doctor|progress|oci-image|ref|api\/disks|disks|api\/kernels|uml-driver|uml-probe|sources\/index|api\/export|images\/registry\/login|api\/networks|network\/port-spec|microvm-driver|microvm-probe|api\/checkpoints)\.js$/,
      },
      (a) => (inline.includes(COLD[a.path]) ? undefined : { path: COLD[a.path], external: true }),
    );
    b.onResolve({ filter: /^(got|execa|tar|xz-decompress)$/ }, (a) => ({
      path: `./${VENDOR[a.path]}.mjs`,
      external: true,
    }));
    b.onResolve({ filter: /^\.\.\/\.\.\/network\/attach\/network-attach\.js$/ }, (a) => ({
      path: COLD[a.path],
      external: true,
    }));
    b.onResolve(
      { filter: /^\.\.\/images\/(unpack\/remove-layer|oci-image|debian\/debian-image|sources\/index)\.js$/ },
      (a) => ({ path: COLD[a.path], external: true }),
    );
  },
});
// string-width (yargs' help layout) builds an Intl.Segmenter and a \p{RGI_Emoji} regex as it loads
// or first runs: about 30 ms of every cold verb, since yargs lays out a command's help even when
// nobody asks for it (ADR 0079). Every import of it gets a stand-in that answers for printable
// ASCII itself (one column a character, string-width's own answer) and loads the real module
// (esbuild: lazily, as it is require()d) for any other text.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (a) => {
      if (a.pluginData?.real) return undefined;
      const real = await b.resolve(a.path, {
        kind: a.kind,
        importer: a.importer,
        resolveDir: a.resolveDir,
        pluginData: { real: true },
      });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (a) => ({
      contents: [
        'let real;',
        'module.exports = function stringWidth(string, options) {',
        "  if (typeof string === 'string' && /^[\\x20-\\x7e]*$/.test(string)) return string.length;",
        `  real ??= require(${JSON.stringify(a.path)}).default;`,
        '  return real(string, options);',
        '};',
      ].join('\n'),
      loader: 'js',
      resolveDir: dirname(a.path),
    }));
  },
};
/** CommonJS files in dist/ (berth.cjs and the VM cold bundles), each loading its cold modules by import(). */
const buildCjs = (entryPoints, inline = []) =>
  build({
    ...common,
    entryPoints,
    outdir: 'dist',
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    define: { 'import.meta.url': '__berthModuleUrl' },
    banner: { js: "const __berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [coldModules(inline), lazyStringWidth],
  });
// The hot CLI (main.ts) and the cold one (yargs and every verb off the hot path): each one CommonJS
// file that the loader compiles with a V8 code cache of its own (ADR 0073, 0079).
// The cold one holds the small modules of its own verbs (network, checkpoint, port) itself: an
// import() of their ESM entries would start Node's ESM loader (some 20 ms) for a few kilobytes.
await buildCjs({ 'berth-cli': 'src/cli/main.ts' });
await buildCjs({ 'cli-cold': 'src/cli/cold-main.ts' }, ['./networks.mjs', './port-spec.mjs', './checkpoints.mjs']);
// What a VM run loads after the hot bundle (ADR 0071): each backend's probe and driver as ONE
// CommonJS file. The split ESM entries cost the ESM loader's start and a module load per chunk
// (about 20 for a driver). berth.cjs requires the small probes, and compiles each driver (200-240
// KB) under a V8 code cache of its own, as it does the CLI bundles (ADR 0083).
// Their own copies of shared modules, as the ESM entries have (errors are branded, not instanceof).
const VM_COLD = {
  'uml-probe': 'src/drivers/uml/uml-probe.ts',
  'uml-driver': 'src/drivers/uml/uml-driver.ts',
  'microvm-probe': 'src/drivers/microvm/microvm-probe.ts',
  'microvm-driver': 'src/drivers/microvm/microvm-driver.ts',
};
await buildCjs(VM_COLD);
// The VM backends' CJS bundles (VM_COLD above) are never import()ed: that starts Node's ESM loader,
// about 50 ms of CPU on a loaded 2-core host, which a VM run then never needs.
// The loader compiles both CLI bundles and the VM drivers with node:vm, where import() needs a flag
// on Node 20: every other import() becomes a call of the function it passes (src/cli/loader.ts). A file is the
// function expression the loader compiles (Node's own CommonJS wrapper, plus that function), so the
// loader need not copy 490 KB of source to wrap it. The shebang goes (the loader has it), its line
// stays (the same line numbers for the source map). Returns the name of its code cache.
function wrapForLoader(name) {
  const file = `dist/${name}.cjs`;
  const body = readFileSync(file, 'utf8')
    .replace(/^#!.*\n/, '\n')
    .replace(/\bimport\("(\.\/(?:uml|microvm)-probe\.cjs)"\)/g, 'Promise.resolve().then(() => require("$1"))');
  const calls = body.replace(/\bimport\((?=["'])/g, '__berthImport(');
  if (/\bimport\(/.test(calls)) throw new Error(`${file}: an import() of a computed specifier`);
  const wrapped = `(function (exports, require, module, __filename, __dirname, __berthImport) {${calls}\n})`;
  writeFileSync(file, wrapped);
  // The loader adds the running V8's version and `.cache`: each Node keeps its own cache.
  return `${name}.${createHash('sha256').update(wrapped).digest('hex').slice(0, 16)}`;
}
if (
  (readFileSync('dist/berth-cli.cjs', 'utf8').match(/import\("\.\/(?:uml|microvm)-(?:driver|probe)\.cjs"\)/g) ?? [])
    .length !== 4
)
  throw new Error('bundle: dist/berth-cli.cjs should load the four VM cold bundles');
const cache = wrapForLoader('berth-cli');
const coldCache = wrapForLoader('cli-cold');
// The two VM drivers: file -> the name of its code cache (src/cli/loader.ts compiles them).
const vmDrivers = Object.fromEntries(['uml-driver', 'microvm-driver'].map((n) => [`${n}.cjs`, wrapForLoader(n)]));
await build({
  ...common,
  sourcemap: false,
  entryPoints: { berth: 'src/cli/loader.ts' },
  outdir: 'dist',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  banner: { js: '#!/usr/bin/env node' },
  define: {
    BERTH_CLI_BUNDLE: JSON.stringify('berth-cli.cjs'),
    BERTH_CLI_CODE_CACHE: JSON.stringify(cache),
    BERTH_CLI_COLD: JSON.stringify('cli-cold.cjs'),
    BERTH_CLI_COLD_CACHE: JSON.stringify(coldCache),
    BERTH_VM_DRIVERS: JSON.stringify(vmDrivers),
  },
});
chmodSync('dist/berth.cjs', 0o755);

// The first runs write this Node's code caches (another Node's first run writes its own): a hot
// verb's, and a cold one's (`--help` goes through yargs).
execFileSync(process.execPath, ['dist/berth.cjs', '--version'], { stdio: 'ignore' });
execFileSync(process.execPath, ['dist/berth.cjs', '--help'], { stdio: 'ignore' });
