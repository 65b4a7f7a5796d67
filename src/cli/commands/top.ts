import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';

export const topCommand: CommandModule<object, { env: string }> = {
  command: 'top <env>',
  describe: "List the processes of a running environment (chroot, container: host pids; uml, microvm: the guest's own)",
  builder: (y) => y.positional('env', { type: 'string', describe: 'id, id prefix or name' }) as never,
  handler: async (a) => {
    const procs = await berth.top(a.env);
    process.stdout.write(
      table(
        ['PID', 'USER', 'COMMAND'],
        procs.map((p) => [String(p.pid), p.user ?? String(p.uid), p.command]),
      ),
    );
  },
};
