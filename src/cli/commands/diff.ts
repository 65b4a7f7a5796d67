/** `berth diff ENV`: A/C/D lines of what an environment changed (every backend). */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const diffCommand: CommandModule<object, { env: string }> = {
  command: 'diff <env>',
  describe:
    'List changed files: A added, C changed, D deleted (uml and microvm: the disk is diffed against its base, paused while copied)',
  builder: (y) => y.positional('env', { type: 'string', describe: 'id, id prefix or name' }) as never,
  handler: async (a) => {
    const lines = (await berth.diff(String(a.env))).map((c) => `${c.kind} ${c.path}\n`);
    process.stdout.write(lines.join(''));
  },
};
