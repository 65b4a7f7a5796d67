/** berth's failure contract: exit 125 and exactly one stderr line, "berth: ...", matching `re`. */
import assert from 'node:assert/strict';

export function oneLine125(r: { code: number; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 125, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^berth: /);
  assert.match(lines[0]!, re);
}
