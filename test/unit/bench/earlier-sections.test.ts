import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlierSections, renderSection } from '../../../bench/run.js';

const doc = `# Benchmarks\n\n<!-- bench:begin -->\n## Results\n\n- Date: x\n\n### a-suite\n\nA.\n\n| t |\n\n### b-suite (earlier run)\n\nB.\n<!-- bench:end -->\n\n## After\n`;

test("a partial bench run keeps the other suites' last sections, marked as earlier", () => {
  const e = earlierSections(doc);
  assert.deepEqual([...e.keys()], ['a-suite', 'b-suite']);
  assert.equal(e.get('a-suite'), '### a-suite (earlier run)\n\nA.\n\n| t |');
  assert.equal(e.get('b-suite'), '### b-suite (earlier run)\n\nB.');
  const out = renderSection(
    [{ suite: 'a-suite', description: 'new A', rows: [], notes: 'fresh' } as never],
    { runs: 1, warmup: 0 } as never,
    e,
  );
  assert.match(out, /### a-suite\n\nnew A\.\n\nfresh/);
  assert.doesNotMatch(out, /### a-suite \(earlier run\)/);
  assert.match(out, /### b-suite \(earlier run\)\n\nB\.$/);
});
