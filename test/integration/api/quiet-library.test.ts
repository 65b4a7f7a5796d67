/**
 * The library never prints (issue 18.5): a create() whose image warns while it is unpacked (AUFS
 * metadata in a layer of an image from a registry on loopback) reports through `onWarning` and
 * writes nothing to this process's stderr. Before the hooks, the warning went to stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';
import { REPO, isRoot } from '../../helpers/berth-cli.js';
import { requireThat } from '../../helpers/requirements.js';
import {
  ensureTools,
  startRegistry,
  skopeoPush,
  singleImageLayout,
  type RunningRegistry,
} from '../registry/fixtures.js';

let work = '';
let registry: RunningRegistry | undefined;
let imageRef = '';
let missing: string | undefined;

before(async () => {
  if (!isRoot()) {
    missing = 'root (the test starts a registry and runs chroot)';
    return;
  }
  const absent = await ensureTools();
  if (absent.length > 0) {
    missing = `tools: ${absent.join(', ')}`;
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'berth-quiet-'));
  const l1 = join(work, 'l1');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(l1, d), { recursive: true });
  copyFileSync('/bin/busybox', join(l1, 'bin', 'busybox'));
  chmodSync(join(l1, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'true']) symlinkSync('busybox', join(l1, 'bin', a));
  // AUFS metadata: the unpacker skips it and warns.
  writeFileSync(join(l1, '.wh..wh.aufs'), '');
  const layout = join(work, 'layout');
  await singleImageLayout(layout, work, [l1], 'quiet');
  registry = await startRegistry(work);
  imageRef = `${registry.host}/test/quiet:1`;
  await skopeoPush(layout, 'quiet', imageRef);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('create() reports an unpack warning through onWarning and writes nothing to stderr', {
  timeout: 120_000,
}, async (t) => {
  if (!requireThat(t, !missing, missing ?? '')) return;
  if (!requireThat(t, existsSync(join(REPO, 'native', 'bin', 'berth-shim')), 'native/bin/berth-shim (npm run build)'))
    return;
  const root = mkdtempSync(join(tmpdir(), 'berth-quiet-root-'));
  const written: string[] = [];
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(String(chunk));
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stderr.write;
  try {
    await using env = await berth.create({
      root,
      backend: 'chroot',
      image: imageRef,
      command: ['sleep', '600'],
      onWarning: (m) => warnings.push(m),
    });
    assert.ok(env.id);
  } finally {
    process.stderr.write = write;
    rmSync(root, { recursive: true, force: true });
  }
  assert.ok(
    warnings.some((w) => /AUFS metadata/.test(w)),
    `the hook got the warning: ${JSON.stringify(warnings)}`,
  );
  assert.deepEqual(written, [], 'nothing was written to stderr');
});
