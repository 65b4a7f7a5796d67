/** Hidden `berth __reap SESSION`: the session reaper the library's create() starts. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

/** Hidden: the session reaper started by the library's create() (see src/api/session.ts). */
export const reapCommand: CommandModule<object, { session: string }> = {
  command: '__reap <session>',
  describe: false,
  handler: async (a) => {
    await berth.reapSession(a.session);
  },
};
