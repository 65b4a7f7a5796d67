/** `berth prune`: free unused blobs, layers and base disks, or remove labelled environments. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const pruneCommand: CommandModule<object, { label?: string }> = {
  command: 'prune',
  describe:
    'Free blobs, unpacked layers and VM base disks that no image or environment uses, and stale partial downloads; with --label, remove the environments carrying that label instead',
  builder: (y) =>
    y.option('label', {
      type: 'string',
      requiresArg: true,
      describe: 'KEY or KEY=VALUE: remove (force) every environment with this label, e.g. berth.session=ID',
    }) as never,
  handler: async (a) => {
    if (a.label !== undefined) {
      for (const name of await berth.pruneEnvironments(a.label)) process.stdout.write(`${name}\n`);
      return;
    }
    const r = await berth.pruneImages();
    process.stdout.write(
      `removed ${r.blobs} blobs, ${r.layers} layers, ${r.disks} base disks and ${r.partials} partial downloads, ${(r.freedBytes / 1048576).toFixed(1)} MiB of blobs and partial downloads freed\n`,
    );
  },
};
