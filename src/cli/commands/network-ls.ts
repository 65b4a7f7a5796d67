/** `berth network ls`: bridge networks and who is on them. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';

export const networkLsCommand: CommandModule<object, { format: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List bridge networks and the environments on them',
  builder: (y) =>
    y.option('format', {
      type: 'string',
      choices: ['table', 'json'],
      default: 'table',
      describe: 'output format',
    }) as never,
  handler: async (a) => {
    const list = await berth.networkList();
    if (a.format === 'json') {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      table(
        ['NAME', 'SUBNET', 'GATEWAY', 'BRIDGE', 'MTU', 'ENVIRONMENTS'],
        list.map((n) => [n.name, n.subnet, n.gateway, n.bridge, String(n.mtu), n.environments.join(',')]),
      ),
    );
  },
};
