// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
import { spawnSync } from 'node:child_process';
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

const files = spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean)
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error('no test files found under build/test: run npm run build');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
