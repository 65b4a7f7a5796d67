/** Where the VM monitor's entry script is: dist/vm-monitor.mjs when bundled, beside this file when compiled by tsc. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError } from '../../core/errors.js';

export function monitorEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [
    join(here, 'vm-monitor.mjs'),
    join(here, '..', 'vm-monitor.mjs'),
    join(here, 'vm-monitor-main.js'),
    join(here, '..', 'vm', 'vm-monitor-main.js'),
  ]) {
    if (existsSync(c)) return c;
  }
  throw new HostError('no-vm-monitor', `the VM monitor script is missing near ${here}`, { fix: 'run "npm run build"' });
}
