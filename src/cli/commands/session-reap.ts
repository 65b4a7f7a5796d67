/**
 * Hidden `berth __reap SESSION`: the session reaper the library's create() starts (src/api/session.ts).
 * On the CLI's hot path (no yargs): one starts per session, so per cell of a cluster matrix.
 */
import * as berth from '../../index.js';

export async function reapCommand(argv: string[]): Promise<number> {
  const [session] = argv;
  if (!session || argv.length !== 1)
    throw new berth.SpecError('usage', 'berth __reap takes SESSION (the library starts it)', {
      fix: 'leave it to the library: create() starts one per session',
    });
  await berth.reapSession(session);
  return 0;
}
