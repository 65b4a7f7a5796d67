import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';

export const topCommand: CommandModule<object, { env: string }> = {
  command: 'top <env>',
  describe: 'List the processes of a running environment (host pids)',
  builder: (y) => y.positional('env', { type: 'string', describe: 'id, id prefix or name' }) as never,
  handler: (a) => {
    const procs = berth.top(a.env);
    process.stdout.write(table(['PID', 'UID', 'COMMAND'], procs.map((p) => [String(p.pid), String(p.uid), p.command])));
  },
};
