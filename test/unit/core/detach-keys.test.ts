import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DETACH_KEYS, detachMatcher, parseDetachKeys } from '../../../src/core/detach-keys.js';

describe('--detach-keys', () => {
  it("parses Docker's forms: ctrl-X and single characters", () => {
    assert.deepEqual(parseDetachKeys(DEFAULT_DETACH_KEYS), [0x10, 0x11]);
    assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_'), [0, 27, 28, 29, 30, 31]);
    assert.deepEqual(parseDetachKeys('a,CTRL-A,q'), [97, 1, 113]);
    assert.deepEqual(parseDetachKeys(''), []);
  });

  it('refuses what is not a key, naming it', () => {
    for (const bad of ['ctrl-pp', 'ctrl-1', 'ab', 'ctrl-p,', 'é'])
      assert.throws(
        () => parseDetachKeys(bad),
        (e: Error) => e.message.includes(`invalid --detach-keys "${bad}"`),
      );
  });

  it('matches the sequence in a row, across chunks, and restarts on a repeated first key', () => {
    const m = detachMatcher([0x10, 0x11]);
    assert.equal(m(Buffer.from([0x10])), false);
    assert.equal(m(Buffer.from([0x11])), true);
    const n = detachMatcher([0x10, 0x11]);
    assert.equal(n(Buffer.from([0x10, 0x61, 0x11])), false);
    assert.equal(n(Buffer.from([0x10, 0x10, 0x11])), true);
    assert.equal(detachMatcher([])(Buffer.from([0x10, 0x11])), false);
  });
});
