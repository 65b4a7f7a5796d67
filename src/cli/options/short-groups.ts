/**
 * yargs' parser takes time quadratic in the length of a single-dash word (`-iVALUE`, `-abc`):
 * 20,000 characters cost seconds, 100,000 minutes. No real one is longer than a path
 * (PATH_MAX, 4096) plus its flag letter, so longer ones are refused before yargs sees them.
 */
import { SpecError } from '../../index.js';

const MAX = 4096 + 2;

export function refuseHugeShortGroups(argv: readonly string[]): void {
  for (const a of argv) {
    if (a === '--') return;
    if (a.length > MAX && a.startsWith('-') && !a.startsWith('--')) {
      throw new SpecError('usage', `option word "${a.slice(0, 12)}..." is too long (${a.length} characters)`, {
        fix: `give the value as its own word, e.g. ${a.slice(0, 2)} VALUE`,
      });
    }
  }
}
