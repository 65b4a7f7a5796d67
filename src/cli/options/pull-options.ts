/** `berth pull`'s options: one table for the hot-path parser and yargs' help (option-table.ts). */
import type { OptionDef } from './option-table.js';

export const PULL_OPTIONS: readonly OptionDef[] = [
  { name: 'sha256', type: 'string', valueName: 'HEX', describe: 'tar: only: the SHA-256 the tarball must have' },
  {
    name: 'insecure-registry',
    type: 'string',
    multiple: true,
    valueName: 'HOST[:PORT]',
    describe: 'plain http for this registry (loopback always)',
  },
  { name: 'quiet', short: 'q', type: 'boolean', describe: 'print only the digest' },
];
