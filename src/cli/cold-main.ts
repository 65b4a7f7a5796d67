/**
 * The cold bundle's entry (dist/cli-cold.cjs, ADR 0079): `yargsMain` for the hot CLI, which hands
 * it the verbs it does not take, and `coldMain` for the loader, which starts a verb of
 * COLD_VERBS here without the hot bundle.
 */
import { yargsMain } from './yargs-app.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { reportError } from './output.js';

export { yargsMain };

/** What main.ts does for the hot bundle: argv in, the exit status set. */
export function coldMain(argv: string[]): void {
  exitQuietlyOnBrokenPipe();
  yargsMain(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e);
    },
  );
}
