/** Options of the verbs that act on each ENV in turn (commands/list-verbs.ts), as data. */
import type { OptionDef } from './option-table.js';

export const RM_OPTIONS: readonly OptionDef[] = [
  { name: 'force', short: 'f', type: 'boolean', describe: 'kill a running environment first' },
];

export const STOP_OPTIONS: readonly OptionDef[] = [
  {
    name: 'time',
    short: 't',
    type: 'string',
    valueName: 'SECONDS',
    describe: 'seconds to wait before SIGKILL (default 10)',
  },
];

export const KILL_OPTIONS: readonly OptionDef[] = [
  { name: 'signal', short: 's', type: 'string', valueName: 'SIGNAL', describe: 'signal name or number (default KILL)' },
];
