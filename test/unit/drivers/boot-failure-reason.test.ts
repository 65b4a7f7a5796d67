/**
 * The line that says why a kernel did not come up, from the last 8 KiB of its console: the same
 * cases for the Node monitor (bootFailureReason) and berth-vmmon's C code (native/vmmon/bootfail.c,
 * driven through native/build/tests/bootfail-reason, fed in chunks of several sizes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { bootFailureReason } from '../../../src/drivers/vm/vm-monitor.js';
import { nativeTestProgram } from '../../helpers/native-test-program.js';
/** The Node monitor keeps the console's last 8192 characters. */
const TAIL = 8192;
const filler = (n: number) => 'ordinary boot line\n'.repeat(n);

const CASES: Array<[string, string, string]> = [
  [
    'a panic names its reason',
    'Linux version 6.1\nKernel panic - not syncing: Failed to allocate 3801088 bytes\n---[ end ]',
    'kernel panic: Failed to allocate 3801088 bytes',
  ],
  [
    "the init's fatal line beats the last line",
    'x\nberth-init: fatal: mount root /dev/ubda (ext4): Invalid argument\nreboot: System halted\n',
    'berth-init: fatal: mount root /dev/ubda (ext4): Invalid argument',
  ],
  ['a memory floor', 'Too few physical memory! Needed=1, given=0\n', 'Too few physical memory! Needed=1, given=0'],
  ['nothing at all', '', 'no console output'],
  ['blank lines only', '\n \r\n\t\n', 'no console output'],
  ['the last line, trimmed, when nothing looks fatal', 'one\n  two  \r\n\n', 'two'],
  ['fatal words match in any case, the first one wins', 'a\nmodprobe FAILED\nOut of memory\nz\n', 'modprobe FAILED'],
  [
    'a panic beats an earlier fatal line',
    'mount failed\nKernel panic - not syncing:   Attempted to kill init!\nlater\n',
    'kernel panic: Attempted to kill init!',
  ],
  [
    'a panic that only says where it ended names the oops and the RIP it followed',
    'x\nBUG: kernel NULL pointer dereference, address: 0000000000000008\n#PF: supervisor read\nRIP: 0010:virtnet_poll+0x2a/0x410\nRIP: 0010:later\nKernel panic - not syncing: Attempted to kill the idle task!\n',
    'kernel panic: Attempted to kill the idle task! (after BUG: kernel NULL pointer dereference, address: 0000000000000008; RIP: 0010:virtnet_poll+0x2a/0x410)',
  ],
  [
    'an oops without a RIP line is named alone',
    'general protection fault, probably for non-canonical address 0xdead: 0000 [#1]\nKernel panic - not syncing: Fatal exception in interrupt\n',
    'kernel panic: Fatal exception in interrupt (after general protection fault, probably for non-canonical address 0xdead: 0000 [#1])',
  ],
  ['a panic line without "not syncing" is kept whole', 'Kernel panic at foo\n', 'Kernel panic at foo'],
  [
    'only the last 8 KiB count: a fatal line that scrolled out is forgotten',
    `berth-init: fatal: early\n${filler(600)}the end\n`,
    'the end',
  ],
  [
    'a fatal line inside the last 8 KiB is found behind many lines',
    `${filler(600)}berth-init: fatal: late\n${filler(100)}`,
    'berth-init: fatal: late',
  ],
];

test('the Node monitor: the reason a kernel did not boot', () => {
  for (const [what, consoleText, want] of CASES) assert.equal(bootFailureReason(consoleText.slice(-TAIL)), want, what);
});

test('berth-vmmon (C): the same reasons, whatever the size of the console reads', () => {
  const C_PROGRAM = nativeTestProgram('bootfail-reason');
  for (const chunk of [1, 7, 4096, 65536])
    for (const [what, consoleText, want] of CASES) {
      const r = spawnSync(C_PROGRAM, [String(chunk)], { input: consoleText, encoding: 'utf8' });
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stdout, `${want}\n`, `${what} (reads of ${chunk} bytes)`);
    }
});
