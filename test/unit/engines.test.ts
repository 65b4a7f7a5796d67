import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NODE_BUILDS } from '../helpers/node-builds.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};

/** The lowest version each "||" alternative of a range accepts: `^22.12.0` -> [22, 12, 0], `>=24` -> [24, 0, 0]. */
function floors(range: string): number[][] {
  return range.split('||').map((alt) => {
    const m = /^\s*(?:\^|>=)(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(alt);
    assert.ok(m, `engines alternative "${alt}" is ^X.Y.Z or >=X`);
    return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  });
}

test('package.json engines names exactly the Node majors the tests run on, each with a tested release', () => {
  const f = floors(pkg.engines.node);
  assert.deepEqual(
    f.map((v) => v[0]),
    Object.keys(NODE_BUILDS)
      .map(Number)
      .sort((a, b) => a - b),
  );
  for (const [major, minor, patch] of f) {
    const tested = NODE_BUILDS[major!]!.split('.').map(Number);
    assert.equal(tested[0], major);
    assert.ok(
      tested[1]! > minor! || (tested[1] === minor && tested[2]! >= patch!),
      `Node ${NODE_BUILDS[major!]} satisfies ^${major}.${minor}.${patch}`,
    );
  }
});
