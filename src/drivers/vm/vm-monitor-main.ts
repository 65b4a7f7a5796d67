/** Entry of the VM monitor process: `node vm-monitor.mjs STATE_DIR` (see vm-monitor.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmMonitor, writeMonitorError } from './vm-monitor.js';
import { MONITOR_CONFIG, type VmMonitorConfig } from './vm-monitor-config.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: vm-monitor STATE_DIR\n');
  process.exit(125);
}
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
