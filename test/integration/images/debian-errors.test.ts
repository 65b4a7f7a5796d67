/**
 * Failures of the debian: builder are one clear ImageError each: an unknown suite (the mirror
 * answers 404, from a loopback server this test starts), an unreachable mirror (a closed
 * loopback port), mmdebstrap missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { findDebianMirror } from '../../../src/images/debian/debian-mirror.js';
import { runMmdebstrap } from '../../../src/images/debian/debian-image.js';
import type { AptSource } from '../../../src/images/debian/apt-sources.js';
import { ImageError } from '../../../src/core/errors.js';

const source = (uri: string): AptSource => ({
  types: ['deb'],
  uris: [uri],
  suites: ['bookworm'],
  components: ['main'],
  enabled: true,
  origin: 'test:1',
});
const code = (c: string) => (e: unknown) => e instanceof ImageError && e.code === c && !e.oneLine().includes('\n');

test('unknown suite: the mirror answers 404', async () => {
  const server = createServer((_req, res) => res.writeHead(404).end('not here'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const work = mkdtempSync(join(tmpdir(), 'berth-debian-err-'));
  try {
    const { port } = server.address() as AddressInfo;
    await assert.rejects(
      findDebianMirror('nosuchsuite', work, { sources: [source(`http://127.0.0.1:${port}/debian`)] }),
      code('debian-unknown-suite'),
    );
  } finally {
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('mirror unreachable: nothing listens', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  const work = mkdtempSync(join(tmpdir(), 'berth-debian-err-'));
  try {
    await assert.rejects(
      findDebianMirror('bookworm', work, { sources: [source(`http://127.0.0.1:${port}/debian`)] }),
      code('debian-mirror-unreachable'),
    );
    await assert.rejects(findDebianMirror('bookworm', work, { sources: [] }), code('debian-no-mirror'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('mmdebstrap missing, or failing: one line naming it', async () => {
  const ref = { kind: 'debian', suite: 'bookworm', variant: undefined, canonical: 'debian:bookworm' } as const;
  await assert.rejects(runMmdebstrap(['berth-no-such-mmdebstrap', 'bookworm'], ref), code('debian-no-mmdebstrap'));
  await assert.rejects(
    runMmdebstrap(['sh', '-c', 'echo "I: working" >&2; echo "E: cannot find suite" >&2; exit 1'], ref),
    (e: unknown) => code('debian-build-failed')(e) && /cannot find suite/.test((e as Error).message),
  );
});
