// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
// It serves ONE loopback Debian mirror for the whole run (test/helpers/test-mirror.ts: the real
// kernel .debs of scripts/test-debs.sh, signed by a throwaway key) and gives every test process
// BERTH_DEBIAN_MIRROR and BERTH_DEBIAN_KEYRING, so no test fetches from the real Debian mirror.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const dirs = ['build/test/unit', 'build/test/integration', 'build/test/conformance'].filter((d) => existsSync(d));
// The longest files start first (longest processing time first), so that the short ones fill the
// slots beside them rather than leaving one slot idle at the end: the VM conformance suites, the
// passes on the other supported Node versions, then the other backends' suites.
const LONGEST = [
  'conformance-uml.test.js',
  'conformance-microvm.test.js',
  'other-node-versions.test.js',
  'conformance-container.test.js',
  'conformance-chroot.test.js',
];
const rank = (f) => {
  const i = LONGEST.findIndex((name) => f.endsWith(`/${name}`));
  return i === -1 ? LONGEST.length : i;
};

// `node scripts/test.mjs FILE...` runs only those files (with the same mirror).
const only = process.argv.slice(2);
const files =
  only.length > 0
    ? only
    : spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .sort()
        .sort((a, b) => rank(a) - rank(b));
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
