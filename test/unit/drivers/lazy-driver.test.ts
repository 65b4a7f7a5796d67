import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyDriver } from '../../../src/drivers/lazy-driver.js';
import { UML_CAPABILITIES } from '../../../src/drivers/uml/uml-capabilities.js';
import type { Driver, EnvStats, Handle } from '../../../src/drivers/driver.js';

test('LazyDriver forwards stats and processes to the loaded driver (a VM backend is not refused)', async () => {
  const reading = {
    cpuUsageNs: 1,
    memoryBytes: 2,
    memoryLimitBytes: 3,
    pids: null,
    pidsLimit: null,
    netRxBytes: null,
    netTxBytes: null,
    blockReadBytes: 0,
    blockWriteBytes: 0,
    readAtMs: 5,
    source: 'processes',
  } satisfies EnvStats;
  const loaded = {
    stats: async () => reading,
    processes: async () => [{ pid: 1, uid: 0, user: 'root', command: '/init' }],
  } as unknown as Driver;
  const lazy = new LazyDriver(
    'uml',
    UML_CAPABILITIES,
    () => [],
    async () => loaded,
  );
  const h: Handle = { id: 'x', name: 'x', backend: 'uml', dir: '/nonexistent' };
  assert.equal(typeof lazy.stats, 'function');
  assert.deepEqual(await lazy.stats!(h), reading);
  assert.deepEqual(await lazy.processes!(h), [{ pid: 1, uid: 0, user: 'root', command: '/init' }]);
});
