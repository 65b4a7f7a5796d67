// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const dirs = ['build/test/unit', 'build/test/integration', 'build/test/conformance'].filter((d) => existsSync(d));
// node --test runs the files in the order of their paths, whatever order they are given in. The
// longest files are named to come first (test/conformance/1-..., 2-..., longest processing time
// first), so that the short ones fill the slots beside them rather than leaving one idle at the end.
const files = spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean)
  .sort();
if (files.length === 0) {
  console.error('no test files found under build/test: run npm run build');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
