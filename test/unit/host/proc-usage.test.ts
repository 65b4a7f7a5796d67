import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIo, parseKb, parseNetDev, parseStatCpuTicks, procUsage } from '../../../src/host/proc-usage.js';

test('/proc parsers', () => {
  // A command name with blanks and parentheses; utime 300 stime 20 cutime 5 cstime 1.
  const stat = '1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 300 20 5 1 20 0 1 0 500 1000 200';
  assert.equal(parseStatCpuTicks(stat), 326);
  assert.equal(parseStatCpuTicks('garbage'), undefined);
  assert.equal(parseKb('Rss:     2048 kB\nPss:      1024 kB\n', 'Pss'), 1024 * 1024);
  assert.equal(parseKb('Name: x', 'Pss'), undefined);
  assert.deepEqual(parseIo('rchar: 9\nwchar: 9\nread_bytes: 4096\nwrite_bytes: 8192\n'), { read: 4096, write: 8192 });
  const dev = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0',
    '  eth0:    5000      40    0    0    0     0          0         0      700       7    0    0    0     0       0          0',
  ].join('\n');
  assert.deepEqual(parseNetDev(dev), { rx: 5000, tx: 700 });
});

test('procUsage of this process: CPU time and memory, nothing for a gone pid', () => {
  const me = procUsage([process.pid]);
  assert.equal(me.count, 1);
  assert.ok(me.memoryBytes > 0);
  assert.ok(me.cpuNs >= 0);
  assert.equal(procUsage([2 ** 22 + 1]).count, 0);
});
