/** `berth images`: the stored images. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table, ago } from '../output.js';

export const imagesCommand: CommandModule<object, { format: string }> = {
  command: 'images',
  describe: 'List pulled images (the builtin busybox is always there)',
  builder: (y) =>
    y.option('format', {
      type: 'string',
      choices: ['table', 'json'],
      default: 'table',
      describe: 'output format',
    }) as never,
  handler: async (a) => {
    const list = await berth.images();
    if (a.format === 'json') {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      table(
        ['IMAGE', 'DIGEST', 'PULLED'],
        list.map((i) => [i.ref, i.digest.slice(0, 19) || 'built on first use', ago(i.pulledAt)]),
      ),
    );
  },
};
