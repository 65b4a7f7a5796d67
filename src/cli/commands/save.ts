/** `berth save IMAGE`: a stored image as an OCI or docker archive. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { toOutput } from './archive-output.js';

export const saveCommand: CommandModule<
  object,
  { image: string; output: string | undefined; format: 'oci-archive' | 'docker-archive' }
> = {
  command: 'save <image>',
  describe: 'Write a stored image as an OCI or docker archive',
  builder: (y) =>
    y
      .positional('image', { type: 'string', describe: 'an image in the store' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'archive file (default: stdout, when it is not a terminal)',
      })
      .option('format', {
        type: 'string',
        choices: ['oci-archive', 'docker-archive'],
        default: 'oci-archive',
        describe: 'archive format',
      }) as never,
  handler: async (a) => {
    const out = toOutput(a.output, 'save');
    await berth.save(a.image, out, { format: a.format });
  },
};
