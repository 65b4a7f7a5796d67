/** `berth export ENV`: an environment's root filesystem as a tar. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { toOutput } from './archive-output.js';

export const exportCommand: CommandModule<object, { env: string; output: string | undefined }> = {
  command: 'export <env>',
  describe:
    "Write an environment's root filesystem (image + changes) as a tar (uml and microvm: read from the disk, paused while it is copied)",
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
