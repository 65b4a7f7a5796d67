/** `berth load -i FILE` or `berth load < FILE`: import images from an OCI or docker archive. */
import type { CommandModule } from 'yargs';
import { createReadStream } from 'node:fs';
import * as berth from '../../index.js';

export const loadCommand: CommandModule<object, { input?: string }> = {
  command: 'load',
  describe: 'Import images from an OCI or docker archive, a file or stdin (digests verified)',
  builder: (y) =>
    y.option('input', {
      alias: 'i',
      type: 'string',
      requiresArg: true,
      describe: 'archive file (default: read stdin)',
    }) as never,
  handler: async (a) => {
    if (a.input === undefined && process.stdin.isTTY)
      throw new berth.SpecError('no-input', 'berth load needs an archive: stdin is a terminal', {
        fix: 'berth load -i FILE, or berth load < FILE',
      });
    // A stream of its own on fd 0, not process.stdin: nothing is left listening on process.stdin
    // (the CLI runs in-process many times in the fuzz test), and fd 0 stays open for others.
    const r = await berth.load(a.input ?? createReadStream('', { fd: 0, autoClose: false }));
    for (const img of r.images) process.stdout.write(`Loaded image: ${img.names.join(', ')} (${img.digest})\n`);
  },
};
