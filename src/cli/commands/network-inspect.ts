/** `berth network inspect NAME...`: networks as JSON. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const networkInspectCommand: CommandModule<object, { names: string[] }> = {
  command: 'inspect <names..>',
  describe: "Show networks as JSON: subnet, bridge, and every environment's address and ports",
  builder: (y) => y.positional('names', { type: 'string', array: true }) as never,
  handler: async (a) => {
    const out = [];
    for (const n of a.names) out.push(await berth.networkInspect(n));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  },
};
