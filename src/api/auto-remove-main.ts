/** Entry of the auto-remove helper: `node auto-remove.mjs DATA RUNTIME ID` (see src/drivers/common/auto-remove-argv.ts). */
import { contextOf } from './context.js';
import { storePaths } from '../core/paths.js';
import { removeIfPresent } from './lifecycle.js';

const [data, runtime, id] = process.argv.slice(2);
if (!data || !runtime || !id) {
  process.stderr.write('usage: auto-remove DATA RUNTIME ID\n');
  process.exit(125);
}
try {
  await removeIfPresent(contextOf(storePaths(data, runtime, process.env.BERTH_STORE || undefined)), id);
} catch (e) {
  // Nobody reads this (stdio is /dev/null): the environment stays listed as exited, and rm -f removes it.
  process.stderr.write(`berth auto-remove: ${(e as Error).message}\n`);
  process.exit(1);
}
