/** `berth load -i FILE`: import images from an OCI or docker archive. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const loadCommand: CommandModule<object, { input: string }> = {
  command: 'load',
  describe: 'Import images from an OCI or docker archive (digests verified)',
  builder: (y) =>
    y.option('input', {
      alias: 'i',
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'archive file',
    }) as never,
  handler: async (a) => {
    const r = await berth.load(a.input);
    for (const img of r.images) process.stdout.write(`Loaded image: ${img.names.join(', ')} (${img.digest})\n`);
  },
};
