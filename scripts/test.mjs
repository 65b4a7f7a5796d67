// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
// It serves ONE loopback Debian mirror for the whole run (test/helpers/test-mirror.ts: the real
// kernel .debs of scripts/test-debs.sh, signed by a throwaway key) and gives every test process
// BERTH_DEBIAN_MIRROR and BERTH_DEBIAN_KEYRING, so no test fetches from the real Debian mirror.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const dirs = ['build/test/unit', 'build/test/integration', 'build/test/conformance'].filter((d) => existsSync(d));
// node --test runs the files in the order of their paths, whatever order they are given in. The
// longest files are named to come first (test/conformance/1-..., 2-..., longest processing time
// first), so that the short ones fill the slots beside them rather than leaving one idle at the end.
// `node scripts/test.mjs FILE...` runs only those files (with the same mirror).
const only = process.argv.slice(2);
const files =
  only.length > 0
    ? only
    : spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .sort();
if (files.length === 0) {
  console.error('no test files found under build/test: run npm run build');
  process.exit(1);
}
const { startTestMirror } = await import(new URL('../build/test/helpers/test-mirror.js', import.meta.url).href);
const mirror = await startTestMirror();
if (typeof mirror === 'string') {
  // Without it, the tests that need a VM kernel fail under CI=true and skip locally, saying why.
  console.error(`test: no loopback Debian mirror: missing ${mirror}`);
  if (process.env.CI === 'true') process.exit(1);
} else Object.assign(process.env, mirror.env);
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('close', async (code, signal) => {
  if (typeof mirror !== 'string') await mirror.close();
  process.exit(code ?? (signal ? 1 : 0));
});
