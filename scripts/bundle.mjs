// Bundle the CLI and the library with esbuild (ADR 0002: start-up time is a feature).
// Code splitting keeps yargs, got, tar and friends in chunks loaded only by the verbs that use them.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { berth: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync('dist/berth.mjs', 0o755);
