/**
 * A VM environment's runtime directory (`<store>/run/vm/<id16>`, src/drivers/vm/vm-run-dir.ts) goes
 * with it, even when the create that made it was cut short before it wrote the backend's files
 * record (a CLI killed mid-create): `rm -f` used to take the directory's path from that record, and
 * left the directory when the record was missing. No boot: `create` makes the directory.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Check, assertNothingLeft, isVm } from './checks.js';

/** The files record each VM backend writes last in its create (uml-launch.ts, microvm-boot-files.ts). */
const FILES_RECORD: Record<string, string> = { uml: 'uml.json', microvm: 'microvm.json' };

export const RUN_DIR_CHECKS: Check[] = [
  {
    name: 'rm -f of a VM environment whose create was cut short (no files record) leaves no runtime dir',
    appliesTo: isVm,
    async run(r, b) {
      const c = await r.run(['create', '--backend', b, 'busybox', 'true'], { timeoutMs: 300_000 });
      assert.equal(c.code, 0, c.stderr);
      const id = c.stdout.trim();
      const runDir = join(r.root, 'run', 'vm', id.slice(0, 16));
      assert.ok(existsSync(runDir), `create made ${runDir}`);
      const record = join(r.root, 'envs', id, FILES_RECORD[b]!);
      assert.ok(existsSync(record), `create wrote ${record}`);
      // As a create killed before its last write leaves it (the store's files are the user's).
      rmSync(record);
      const rm = await r.run(['rm', '-f', id]);
      assert.equal(rm.code, 0, rm.stderr);
      await assertNothingLeft(r);
      const vm = join(r.root, 'run', 'vm');
      assert.deepEqual(existsSync(vm) ? readdirSync(vm) : [], [], 'no runtime dir may remain');
    },
  },
];
