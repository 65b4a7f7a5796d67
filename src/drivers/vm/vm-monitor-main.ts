/**
 * Entry of the VM monitor process: `node vm-monitor.mjs STATE_DIR [--parked]` (see vm-monitor.ts;
 * --parked: wait for "go" on stdin before reading the config, monitor-park.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmMonitor, writeMonitorError } from './vm-monitor.js';
import { MONITOR_CONFIG, type VmMonitorConfig } from './vm-monitor-config.js';
import { PARKED_ARG, PARK_TIMEOUT_MS, awaitGo } from './monitor-park.js';

const dir = process.argv[2];
if (!dir || (process.argv[3] !== undefined && process.argv[3] !== PARKED_ARG)) {
  process.stderr.write(`usage: vm-monitor STATE_DIR [${PARKED_ARG}]\n`);
  process.exit(125);
}
// Parked: started early by `berth run`; nothing to do unless the CLI says its config is written.
if (process.argv[3] === PARKED_ARG && !(await awaitGo(process.stdin, PARK_TIMEOUT_MS, () => !existsSync(dir))))
  process.exit(0);
try {
  const cfg = JSON.parse(readFileSync(join(dir, MONITOR_CONFIG), 'utf8')) as VmMonitorConfig;
  const m = new VmMonitor(cfg);
  process.on('uncaughtException', (e) => m.fail(`monitor: ${e.message}`));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => m.fail(`monitor received ${sig}`));
  await m.run();
} catch (e) {
  writeMonitorError(dir, (e as Error).message);
  process.exit(125);
}
