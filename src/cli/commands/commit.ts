import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

/** `berth commit ENV REF`: the environment's changes become a new image layer on its image. */

export const commitCommand: CommandModule<
  object,
  { env: string; ref: string; message: string | undefined; author: string | undefined; pause: boolean; quiet: boolean }
> = {
  command: 'commit <env> <ref>',
  describe:
    "Create an image from an environment's changes (one new layer on its image, runnable on every backend; uml and microvm: the disk's changes, a running guest is synced and paused while its disk is copied; what it ran becomes the ENTRYPOINT and CMD, as in Docker)",
  builder: (y) =>
    y
      .positional('env', { type: 'string', describe: 'environment name or id' })
      .positional('ref', { type: 'string', describe: 'new image NAME[:TAG] (runnable with berth run at once)' })
      .option('message', { alias: 'm', type: 'string', describe: 'commit message (history comment)' })
      .option('author', { alias: 'a', type: 'string', describe: 'author recorded in the image config' })
      .option('pause', {
        alias: 'p',
        type: 'boolean',
        default: true,
        describe: 'pause a running environment while committing (uml, microvm: while its disk is copied)',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the digest' }) as never,
  handler: async (a) => {
    const img = await berth.commit(a.env, a.ref, {
      ...(a.message !== undefined ? { message: a.message } : {}),
      ...(a.author !== undefined ? { author: a.author } : {}),
      pause: a.pause,
      onWarning: (m: string) => process.stderr.write(`berth: warning: ${m}\n`),
    });
    process.stdout.write(a.quiet ? `${img.digest}\n` : `${img.ref}@${img.digest}\n`);
  },
};
