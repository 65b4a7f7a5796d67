#!/usr/bin/env node
/** berth's CLI entry (the dispatcher is cli.ts). */
import { cli } from './cli.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { reportError } from './output.js';

/**
 * Verbs that are done when cli() settles: nothing of theirs is left to run, so they end with
 * process.exit() and skip Node's teardown of the heap and the event loop (~10 ms, ADR 0073).
 * stdout and stderr are synchronous on Linux (files, pipes and terminals), so no output is lost.
 */
const EXIT_WHEN_DONE = new Set(['run', 'exec']);

exitQuietlyOnBrokenPipe();
const argv = process.argv.slice(2);
cli(argv).then(
  (code) => {
    process.exitCode = code;
    if (EXIT_WHEN_DONE.has(argv[0] ?? '')) process.exit();
  },
  (e) => {
    process.exitCode = reportError(e);
  },
);
