import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cached, cacheFile, entryFor, inputsText } from '../../../src/host/probe-cache.js';
import { fileStamp, toolStamp } from '../../../src/host/probe-inputs.js';

const boot = '11111111-2222-3333-4444-555555555555';

test('cached: a verdict is reused only while its inputs are unchanged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-probe-cache-'));
  try {
    let calls = 0;
    const fn = async () => `call ${++calls}`;
    assert.equal(await cached(dir, 'k', { tool: '/usr/bin/x@1', kernel: '6.1' }, fn, boot), 'call 1');
    // Same inputs in another key order: reused.
    assert.equal(await cached(dir, 'k', { kernel: '6.1', tool: '/usr/bin/x@1' }, fn, boot), 'call 1');
    // One input changed: computed again, and the new inputs are what is kept.
    assert.equal(await cached(dir, 'k', { tool: '/usr/bin/x@2', kernel: '6.1' }, fn, boot), 'call 2');
    assert.equal(await cached(dir, 'k', { tool: '/usr/bin/x@2', kernel: '6.1' }, fn, boot), 'call 2');
    assert.deepEqual(JSON.parse(readFileSync(cacheFile(dir, boot), 'utf8')).k, {
      inputs: { tool: '/usr/bin/x@2', kernel: '6.1' },
      value: 'call 2',
    });
    // An input added: computed again.
    assert.equal(await cached(dir, 'k', { tool: '/usr/bin/x@2', kernel: '6.1', uid: 0 }, fn, boot), 'call 3');
    // An entry of the older format (the bare value, no inputs) is never trusted.
    writeFileSync(cacheFile(dir, boot), JSON.stringify({ k: 'stale' }));
    assert.equal(await cached(dir, 'k', {}, fn, boot), 'call 4');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('entryFor and inputsText are pure and order-insensitive', () => {
  assert.equal(inputsText({ a: 1, b: 'x' }), inputsText({ b: 'x', a: 1 }));
  assert.notEqual(inputsText({ a: 1 }), inputsText({ a: '1' }));
  assert.deepEqual(entryFor({ inputs: { a: 1 }, value: false }, { a: 1 }), { value: false });
  assert.equal(entryFor({ inputs: { a: 1 }, value: false }, { a: 2 }), undefined);
  assert.equal(entryFor(null, {}), undefined);
  assert.equal(entryFor({ value: 1 }, {}), undefined);
});

test('fileStamp and toolStamp change when the file or the resolved tool does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-probe-inputs-'));
  try {
    const f = join(dir, 'berth-fake-tool');
    assert.equal(fileStamp(f), 'absent');
    const path = `${dir}:/nonexistent`;
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      assert.equal(toolStamp('berth-fake-tool'), 'absent');
      writeFileSync(f, '#!/bin/sh\n');
      chmodSync(f, 0o755);
      const a = toolStamp('berth-fake-tool');
      assert.ok(a.startsWith(`${f}@`), a);
      utimesSync(f, new Date(1_000_000), new Date(1_000_000));
      assert.notEqual(toolStamp('berth-fake-tool'), a);
      chmodSync(f, 0o4755);
      assert.notEqual(fileStamp(f), fileStamp(join(dir, 'missing')));
    } finally {
      process.env.PATH = saved;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
