/**
 * The uml guest channel (ADR 0053): 64 MiB (BENCH_CHANNEL_MIB) through one running uml
 * environment, each row the whole command: `exec -i` of a host file of random bytes into sha256sum
 * and into cat; `exec` out of the guest (busybox `dd if=/dev/zero bs=1M`, which costs the guest
 * little, unlike busybox `head -c`); `berth cp` of that file in, and of a copy already inside out
 * to a host directory. Baseline: `berth exec ENV true`, the cost of an exec itself, so a row's MB/s
 * is MiB / (its time - the baseline). "guest floor" is the guest's own sha256sum of as many bytes
 * from `dd` through a pipe inside (no channel): the guest's CPU apart from the channel.
 * (guest-channel, the microvm suite, has the same rows for microvm.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BenchFailure, type Row, type Suite, runOnce } from '../harness.js';
import { findExecutable, privateBerth } from './common.js';

const ENV = 'bench-chan';
const BASELINE = 'berth exec ENV true';

export const umlChannel: Suite = {
  name: 'uml-channel',
  description: 'bytes into and out of a running uml guest: exec -i, exec, cp (the bulk channel, ADR 0053)',
  async prepare({ repo }) {
    const { tmp, root, env, berth, cleanup } = privateBerth(repo, 'berth-bench-umlchan-', ENV);
    if (!findExecutable('linux.uml')) {
      cleanup();
      return { name: BASELINE, unavailable: 'linux.uml not installed (apt-get install user-mode-linux)' };
    }
    if (typeof berth === 'string') {
      cleanup();
      return { name: BASELINE, unavailable: berth };
    }
    try {
      mkdirSync(root);
      const mib = Number(process.env.BENCH_CHANNEL_MIB ?? 64);
      const file = join(tmp, 'data.bin');
      writeFileSync(file, randomBytes(mib * 1024 * 1024));
      runOnce(
        {
          name: 'boot',
          argv: [...berth, 'run', '-d', '-q', '--backend', 'uml', '--name', ENV, 'busybox', 'sleep', '1000000'],
          env,
        },
        300_000,
      );
      const b = berth.map((a) => `'${a}'`).join(' ');
      const sh = (name: string, script: string): Row => ({ name, argv: ['sh', '-c', script], env });
      const dd = `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null`;
      const out = join(tmp, 'out');
      mkdirSync(out);
      // The copy-out row's source, put there once untimed (the cp in row may run after it).
      runOnce({ name: 'seed', argv: [...berth, 'cp', file, `${ENV}:/tmp/out-src`], env }, 300_000);
      const rows: Row[] = [
        { name: BASELINE, argv: [...berth, 'exec', ENV, 'true'], env },
        sh(`berth exec -i ENV sha256sum < ${mib} MiB`, `${b} exec -i ${ENV} sha256sum < ${file} > /dev/null`),
        sh(
          `berth exec -i ENV sh -c 'cat > /dev/null' < ${mib} MiB`,
          `${b} exec -i ${ENV} sh -c 'cat > /dev/null' < ${file}`,
        ),
        sh(`berth exec ENV sh -c '${dd}' > /dev/null (out)`, `${b} exec ${ENV} sh -c '${dd}' > /dev/null`),
        { name: `berth cp ${mib} MiB ENV:/tmp/in`, argv: [...berth, 'cp', file, `${ENV}:/tmp/in`], env },
        {
          name: `berth cp ENV:/tmp/out-src (${mib} MiB) HOSTDIR`,
          argv: [...berth, 'cp', `${ENV}:/tmp/out-src`, out],
          env,
        },
        {
          name: `guest floor: berth exec ENV sh -c '${dd} | sha256sum'`,
          argv: [...berth, 'exec', ENV, 'sh', '-c', `${dd} | sha256sum`],
          env,
        },
      ];
      return { rows, baseline: BASELINE, cleanup };
    } catch (e) {
      cleanup();
      if (e instanceof BenchFailure) throw new BenchFailure(e.row, `untimed first run failed: ${e.message}`);
      throw e;
    }
  },
};
