#!/usr/bin/env node
/** berth's CLI entry (the dispatcher is cli.ts). */
import { cli } from './cli.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { reportError } from './output.js';

exitQuietlyOnBrokenPipe();
cli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e);
  },
);
