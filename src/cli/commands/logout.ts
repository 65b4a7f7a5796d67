/** `berth logout REGISTRY`: forget a registry's stored credentials. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const logoutCommand: CommandModule<object, { registry: string }> = {
  command: 'logout <registry>',
  describe: "Forget a registry's stored credentials",
  builder: (y) => y.positional('registry', { type: 'string', describe: 'HOST[:PORT]' }) as never,
  handler: async (a) => {
    if (!(await berth.logout(a.registry))) {
      throw new berth.ImageError('not-logged-in', `not logged in to ${a.registry}`, {
        fix: 'nothing to forget; berth login stores credentials',
      });
    }
    process.stdout.write(`Removed login credentials for ${a.registry}\n`);
  },
};
