/** `berth start [-a] [-i] ENV...`: start environments made by `berth create`. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const startCommand: CommandModule<object, { envs: string[]; attach: boolean; interactive: boolean }> = {
  command: 'start <envs..>',
  describe: 'Start environments made by berth create (in the background, or attached with -a)',
  builder: (y) =>
    y
      .positional('envs', { type: 'string', array: true, describe: 'ids, id prefixes or names' })
      .option('attach', {
        alias: 'a',
        type: 'boolean',
        default: false,
        describe: "attach stdout and stderr (Ctrl-P Ctrl-Q detaches a -t one) and exit with the command's status",
      })
      .option('interactive', {
        alias: 'i',
        type: 'boolean',
        default: false,
        describe: 'attach stdin too (if it was created with -i); implies -a',
      }) as never,
  handler: async (a) => {
    const attach = a.attach || a.interactive;
    if (attach && a.envs.length > 1)
      throw new berth.SpecError('attach-many', 'start -a and -i take one environment', {
        fix: 'start the others in another command',
      });
    if (!attach) {
      for (const ref of a.envs) {
        await berth.start(ref);
        process.stdout.write(`${ref}\n`);
      }
      return;
    }
    const ref = a.envs[0]!;
    const res = await berth.startAttached(ref, { interactive: a.interactive });
    if (res.detached) {
      process.stderr.write(
        `\nberth: detached from ${ref}; it keeps running (berth attach ${ref}, berth stop ${ref})\n`,
      );
      return;
    }
    if (res.oomKilled)
      process.stderr.write(`berth: the command was OOM killed (exit ${res.exitCode}); raise --memory\n`);
    process.exitCode = res.exitCode;
  },
};
