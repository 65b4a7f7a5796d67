/** A client's stdin on its way to a command: passed on, detach keys, the end of the input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { attachInput, detachKeysOf } from '../../../src/serve/attach-input.js';
import type { ApiError } from '../../../src/serve/errors.js';

function collect(r: NodeJS.ReadableStream): { text: () => string; ended: () => boolean } {
  let text = '';
  let ended = false;
  r.on('data', (c: Buffer) => (text += c.toString()));
  r.on('end', () => (ended = true));
  return { text: () => text, ended: () => ended };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('attach input', () => {
  it('passes input on and ends with the client (onEnd told), not on detach', async () => {
    const client = new PassThrough();
    let ends = 0;
    const out = collect(
      attachInput(
        client,
        detachKeysOf(''),
        () => assert.fail('no detach'),
        () => ends++,
      ),
    );
    client.write('ls\n');
    client.end();
    await tick();
    assert.deepEqual([out.text(), out.ended(), ends], ['ls\n', true, 1]);
  });

  it('the detach keys (default ctrl-p,ctrl-q) let the client go; the command keeps its stdin', async () => {
    const client = new PassThrough();
    let detached = 0;
    let ends = 0;
    const out = collect(
      attachInput(
        client,
        detachKeysOf(null),
        () => detached++,
        () => ends++,
      ),
    );
    client.write('echo 1\n');
    client.write('\x10');
    client.write('\x11');
    client.write('after\n');
    client.end();
    await tick();
    assert.deepEqual([out.text(), out.ended(), detached, ends], ['echo 1\n\x10', false, 1, 0]);
  });

  it('takes Docker detachKeys syntax; a bad one is a 400 naming it', () => {
    assert.deepEqual(detachKeysOf('ctrl-a,x'), [1, 120]);
    assert.throws(
      () => detachKeysOf('ctrl-1'),
      (e: ApiError) => e.status === 400 && /invalid --detach-keys "ctrl-1"/.test(e.message),
    );
  });
});
