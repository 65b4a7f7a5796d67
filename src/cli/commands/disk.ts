import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { isProgressTerminal, terminalProgress } from '../progress-hook.js';

/** `berth disk [IMAGE]`: build (or reuse) the ext4 base disk the VM backends boot IMAGE from. */

export const diskCommand: CommandModule<
  object,
  {
    image: string;
    'disk-size': string | undefined;
    'insecure-registry': string[] | undefined;
    json: boolean;
    quiet: boolean;
  }
> = {
  command: 'disk [image]',
  describe: 'Build (or reuse) the ext4 base disk VM backends boot an image from; print its path',
  builder: (y) =>
    y
      .positional('image', { type: 'string', default: 'busybox', describe: 'image reference' })
      .option('disk-size', {
        type: 'string',
        describe: 'virtual size, e.g. 2g (default: the files plus headroom, at least 1g)',
      })
      .option('insecure-registry', { type: 'string', array: true, describe: 'pull from this registry over plain http' })
      .option('json', { type: 'boolean', default: false, describe: 'print path, size and image digest as JSON' })
      .option('quiet', {
        alias: 'q',
        type: 'boolean',
        default: false,
        describe: 'no progress lines on stderr',
      }) as never,
  handler: async (a) => {
    const progress = terminalProgress({ lines: true });
    const d = await berth
      .baseDisk(a.image, {
        ...(a['disk-size'] !== undefined ? { sizeBytes: berth.parseSize(a['disk-size'], '--disk-size') } : {}),
        ...(a['insecure-registry'] ? { insecure: a['insecure-registry'] } : {}),
        onWarning: (m: string) => process.stderr.write(`berth: warning: ${m}\n`),
        ...(a.quiet
          ? {}
          : isProgressTerminal()
            ? { onProgress: progress, onTransfer: progress.transfer }
            : { onProgress: (m: string) => process.stderr.write(`berth: ${m}\n`) }),
      })
      .finally(() => progress(null));
    process.stdout.write(a.json ? `${JSON.stringify(d)}\n` : `${d.path}\n`);
  },
};
