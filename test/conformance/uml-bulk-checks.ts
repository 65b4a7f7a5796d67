/**
 * The uml bulk channel (ADR 0053), checked on a VM another check booted: random 64 MiB into the
 * guest and back out, digests compared on both sides, both carried by files of the channel's
 * directory (watched here) rather than the serial line; only the init holds that directory.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../helpers/berth-cli.js';

const SIZE = 64 * 1024 * 1024;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A berth command's stdout as bytes (Runner.run decodes it as text). */
function runBytes(r: Runner, args: string[], input?: Buffer): Promise<{ code: number; out: Buffer; err: string }> {
  const child = r.spawn(args);
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin!.on('error', () => undefined).end(input);
  return new Promise((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res({ code: code ?? -1, out: Buffer.concat(out), err }));
  });
}

/** `env` runs (id `id`) with nothing in /dev/shm/berth-bulk-check. */
export async function checkUmlBulkChannel(r: Runner, env: string, id: string): Promise<void> {
  // The init holds the shared directory (a directory fd on another device than its root); no
  // guest mount shows it (the kernel's modules are the one hostfs mount).
  const held = await r.run([
    'exec',
    env,
    '--',
    'sh',
    '-c',
    'n=0; for f in /proc/1/fd/*; do [ -d "$f" ] && [ "$(stat -L -c %d "$f")" != "$(stat -c %d /)" ] && n=$((n+1)); done; echo $n; grep hostfs /proc/mounts | grep -vc /lib/modules',
  ]);
  assert.equal(held.stdout, '1\n0\n', held.stderr);

  const seen = new Set<string>();
  const watcher = watch(join(r.root, 'run', 'vm', id.slice(0, 16), 'bulk'), (_e, name) => {
    if (name) seen.add(name.slice(0, 1));
  });
  try {
    const data = randomBytes(SIZE);
    const digest = sha256(data);
    const file = '/dev/shm/berth-bulk-check';
    const into = await runBytes(r, ['exec', '-i', env, '--', 'sh', '-c', `cat > ${file} && sha256sum < ${file}`], data);
    assert.equal(into.code, 0, into.err);
    assert.equal(into.out.toString(), `${digest}  -\n`, 'the guest got the 64 MiB the host sent');
    const back = await runBytes(r, ['exec', env, '--', 'sh', '-c', `cat ${file} && rm ${file}`]);
    assert.equal(back.code, 0, back.err);
    assert.equal(back.out.length, SIZE);
    assert.equal(sha256(back.out), digest, 'the host got the 64 MiB back unchanged');
  } finally {
    watcher.close();
  }
  assert.deepEqual([...seen].sort(), ['i', 'o'], 'both directions went through the bulk files');
}
