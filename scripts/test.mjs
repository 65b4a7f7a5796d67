// The whole test command: unit tests, integration tests and the conformance suite, compiled by
// `npm run build` into build/. node's test runner prints the closing summary CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const dirs = ['build/test/unit', 'build/test/integration', 'build/test/conformance'].filter((d) => existsSync(d));
// The passes on the other supported Node versions (one long file) start first, so that the rest
// of the suite runs beside them rather than after them.
const longFirst = (f) => (f.endsWith('/other-node-versions.test.js') ? 0 : 1);
const files = spawnSync('find', [...dirs, '-name', '*.test.js'], { encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean)
  .sort()
  .sort((a, b) => longFirst(a) - longFirst(b));
if (files.length === 0) {
  console.error('no test files found under build/test: run npm run build');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
