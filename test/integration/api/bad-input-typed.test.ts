/** The library refuses bad input with typed errors before anything is created (issue 17.6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as berth from '../../../src/index.js';

test('unknown capability and NUL bytes: typed SpecErrors, nothing recorded', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-lib-bad-'));
  try {
    const refused = async (input: berth.SpecInput, code: string, re: RegExp) => {
      await assert.rejects(
        berth.run({ root, backend: 'chroot', detach: true, ...input }),
        (e: unknown) => e instanceof berth.SpecError && e.code === code && re.test(e.oneLine()),
      );
    };
    await refused(
      { command: ['true'], security: { capAdd: ['NOPE'], capDrop: [], seccomp: 'default', privileged: false } },
      'bad-cap',
      /unknown capability "NOPE"/,
    );
    await refused({ command: ['echo', 'a\0b'] }, 'nul-byte', /a command argument .* contains a NUL byte/);
    await refused({ command: ['true'], env: { A: 'x\0' } }, 'nul-byte', /an environment variable/);
    await refused({ command: ['true'], name: 'n\0' }, 'nul-byte', /the name/);
    await assert.rejects(
      berth.exec('no-such-env', ['echo', 'a\0b'], { root }),
      (e: unknown) => e instanceof berth.SpecError && e.code === 'nul-byte',
    );
    const envs = join(root, 'envs');
    assert.deepEqual(existsSync(envs) ? readdirSync(envs) : [], []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
