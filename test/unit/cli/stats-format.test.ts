import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesSize,
  cpuPercent,
  humanSize,
  memoryPercent,
  statsRow,
  STATS_HEADERS,
} from '../../../src/cli/stats-format.js';
import type { EnvStats } from '../../../src/index.js';

const reading = (o: Partial<EnvStats>): EnvStats => ({
  cpuUsageNs: 0,
  memoryBytes: 0,
  memoryLimitBytes: null,
  pids: null,
  pidsLimit: null,
  netRxBytes: null,
  netTxBytes: null,
  blockReadBytes: null,
  blockWriteBytes: null,
  readAtMs: 0,
  source: 'processes',
  ...o,
});

test('cpuPercent: CPU time between two readings over the time between (100% = one CPU)', () => {
  assert.equal(
    cpuPercent(reading({ cpuUsageNs: 1e9, readAtMs: 1000 }), reading({ cpuUsageNs: 1.5e9, readAtMs: 2000 })),
    50,
  );
  assert.equal(cpuPercent(reading({ cpuUsageNs: 0, readAtMs: 0 }), reading({ cpuUsageNs: 2e9, readAtMs: 1000 })), 200);
  // A process gone between readings: never negative.
  assert.equal(cpuPercent(reading({ cpuUsageNs: 5e9, readAtMs: 0 }), reading({ cpuUsageNs: 1e9, readAtMs: 1000 })), 0);
  assert.equal(cpuPercent(undefined, reading({})), null);
  assert.equal(cpuPercent(reading({ cpuUsageNs: null }), reading({ readAtMs: 5 })), null);
  assert.equal(cpuPercent(reading({ readAtMs: 5 }), reading({ readAtMs: 5 })), null);
  assert.equal(memoryPercent(64 << 20, 256 << 20), 25);
  assert.equal(memoryPercent(null, 1), null);
});

test("sizes in docker stats' units", () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(416 * 1024), '416KiB');
  assert.equal(bytesSize(1.5 * 1048576), '1.5MiB');
  assert.equal(bytesSize(141463552), '134.9MiB');
  assert.equal(bytesSize(256 * 1048576), '256MiB');
  assert.equal(humanSize(648), '648B');
  assert.equal(humanSize(1234), '1.23kB');
  assert.equal(humanSize(4096), '4.1kB');
  assert.equal(humanSize(2_000_000_000), '2GB');
});

test("statsRow: Docker's columns; no limit shows the host's memory; missing numbers are --", () => {
  assert.deepEqual(STATS_HEADERS, [
    'ID',
    'NAME',
    'CPU %',
    'MEM USAGE / LIMIT',
    'MEM %',
    'NET I/O',
    'BLOCK I/O',
    'PIDS',
  ]);
  const prev = reading({ cpuUsageNs: 1e9, readAtMs: 1000 });
  const cur = reading({
    cpuUsageNs: 1.25e9,
    readAtMs: 2000,
    memoryBytes: 64 << 20,
    memoryLimitBytes: 256 << 20,
    netRxBytes: 1234,
    netTxBytes: 648,
    blockReadBytes: 0,
    blockWriteBytes: 4096,
    pids: 2,
  });
  assert.deepEqual(statsRow({ id: 'c3de5ca777a70ef01b8', name: 'u1' }, cur, prev, 8 * 2 ** 30), [
    'c3de5ca777a7',
    'u1',
    '25.00%',
    '64MiB / 256MiB',
    '25.00%',
    '1.23kB / 648B',
    '0B / 4.1kB',
    '2',
  ]);
  assert.deepEqual(statsRow({ id: 'x', name: 'y' }, reading({ memoryBytes: 1 << 30 }), undefined, 4 * 2 ** 30), [
    'x',
    'y',
    '--',
    '1GiB / 4GiB',
    '25.00%',
    '--',
    '--',
    '--',
  ]);
});
