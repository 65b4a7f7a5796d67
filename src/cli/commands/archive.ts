import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

/** `berth save`, `berth load`, `berth export`: images and environments as tar archives. */

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

export const exportCommand: CommandModule<object, { env: string; output: string | undefined }> = {
  command: 'export <env>',
  describe: "Write an environment's root filesystem (image + changes) as a tar (chroot and container)",
  builder: (y) =>
    y.positional('env', { type: 'string', describe: 'environment name or id' }).option('output', {
      alias: 'o',
      type: 'string',
      describe: 'tar file (default: stdout, when it is not a terminal)',
    }) as never,
  handler: async (a) => {
    await berth.exportFs(a.env, toOutput(a.output, 'export'));
  },
};

function toOutput(file: string | undefined, verb: string): string | NodeJS.WritableStream {
  if (file !== undefined && file !== '-') return file;
  if (process.stdout.isTTY) {
    throw new berth.SpecError('usage', `berth ${verb} would write a tar archive to the terminal`, {
      fix: 'give -o FILE or redirect stdout',
    });
  }
  return process.stdout;
}
