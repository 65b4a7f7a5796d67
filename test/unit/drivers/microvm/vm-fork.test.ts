/**
 * template create --from (vm-fork.ts): the save is let through only when QEMU stopped every vCPU
 * halted, read from HMP's `info registers -a` (ADR 0068 addendum).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCpusHalted } from '../../../../src/drivers/microvm/vm-fork.js';

const cpu = (n: number, hlt: 0 | 1) =>
  `\nCPU#${n}\nRAX=0000000000000000 RBX=ffffffff82613940\nRIP=ffffffff81e3a6ab RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=${hlt}\nES =0000 0000000000000000 00000000 00000000\n`;

test('every vCPU halted: the guest idles and may be saved', () => {
  assert.equal(allCpusHalted(cpu(0, 1)), true);
  assert.equal(allCpusHalted(cpu(0, 1) + cpu(1, 1)), true);
});

test('one vCPU running, or no register dump at all: not idle', () => {
  assert.equal(allCpusHalted(cpu(0, 0)), false);
  assert.equal(allCpusHalted(cpu(0, 1) + cpu(1, 0)), false);
  assert.equal(allCpusHalted(''), false);
  assert.equal(allCpusHalted('Error: no such command'), false);
});
