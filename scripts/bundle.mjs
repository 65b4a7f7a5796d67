// Bundle berth with esbuild (ADR 0002: start-up time is a feature).
//  - dist/berth.cjs: the CLI. CommonJS on purpose: Node 20 starts a CJS entry ~17 ms faster than an
//    ESM one (no ESM loader to compile). It holds only the hot path (run, exec); every cold part is
//    loaded on demand from the ESM bundles below.
//  - dist/*.mjs: the library (index.mjs) and the cold parts, ESM with code splitting.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };

rmSync('dist', { recursive: true, force: true });

await build({
  ...common,
  entryPoints: {
    index: 'src/index.ts',
    'cli-cold': 'src/cli/yargs-app.ts',
    'image-build': 'src/images/builtin/build.ts',
    doctor: 'src/api/doctor.ts',
    progress: 'src/cli/progress.ts',
    'oci-image': 'src/images/oci-image.ts',
    'image-ref': 'src/images/ref.ts',
    'network-attach': 'src/drivers/shared/network-attach.ts',
    networks: 'src/api/networks.ts',
    'port-spec': 'src/network/port-spec.ts',
  },
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
});

// The hot CLI: cold modules become imports of the ESM entries above.
const COLD = { './build.js': './image-build.mjs', './yargs-app.js': './cli-cold.mjs', './api/doctor.js': './doctor.mjs', './progress.js': './progress.mjs', './oci-image.js': './oci-image.mjs', './ref.js': './image-ref.mjs', './network-attach.js': './network-attach.mjs', './api/networks.js': './networks.mjs', './network/port-spec.js': './port-spec.mjs' };
await build({
  ...common,
  entryPoints: { berth: 'src/cli/main.ts' },
  outdir: 'dist',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__berthModuleUrl' },
  banner: { js: "const __berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [{
    name: 'cold-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\/(build|yargs-app|api\/doctor|api\/networks|network\/port-spec|progress|oci-image|ref|network-attach)\.js$/ }, (a) => ({ path: COLD[a.path], external: true }));
    },
  }],
});
chmodSync('dist/berth.cjs', 0o755);
