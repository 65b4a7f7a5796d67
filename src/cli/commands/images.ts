/** `berth images`: the builtin busybox and the stored images. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { ago } from '../output.js';
import { printList, withListFormat } from '../list-output.js';

export const imagesCommand: CommandModule<object, { format: string }> = {
  command: 'images',
  describe: 'List images: the builtin busybox (built on first use) and those pulled, loaded or committed',
  builder: (y) => withListFormat(y) as never,
  handler: async (a) => {
    printList(a.format, await berth.images(), ['IMAGE', 'DIGEST', 'PULLED'], (i) => [
      i.ref,
      i.digest.slice(0, 19) || 'built on first use',
      ago(i.pulledAt),
    ]);
  },
};
