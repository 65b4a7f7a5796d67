/** fileTar: one regular file as a tar stream, byte for byte what node-tar's portable pack writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import * as tar from 'tar';
import { fileTar } from '../../../src/api/file-tar.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-file-tar-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function bytes(s: AsyncIterable<unknown> | Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

for (const [name, size, mode] of [
  ['empty', 0, 0o644],
  ['odd', 1234567, 0o755],
  ['blocks', 4 * 512, 0o600],
  ['group-writable', 100, 0o664],
  ['a name with spaces', 10, 0o644],
] as const) {
  test(`${name} (${size} bytes, mode ${mode.toString(8)}): the same bytes as tar.c({ portable: true })`, async () => {
    const file = join(dir, name);
    writeFileSync(file, randomBytes(size));
    chmodSync(file, mode);
    const open = await fileTar(file, name, statSync(file));
    assert.ok(open, 'a short name needs no pax header');
    const ours = await bytes(open());
    const theirs = await bytes(tar.c({ cwd: dir, portable: true }, [name]) as unknown as AsyncIterable<Buffer>);
    assert.equal(ours.length, theirs.length);
    assert.ok(ours.equals(theirs), 'byte for byte');
  });
}

for (const name of ['x'.repeat(120), 'caf\u00e9']) {
  test(`a name that needs a pax header (${name.length} characters) is left to node-tar`, async () => {
    const file = join(dir, name);
    writeFileSync(file, 'a');
    assert.equal(await fileTar(file, name, statSync(file)), undefined);
  });
}
