/** `berth network ls`: bridge networks and who is on them. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { printList, withListFormat } from '../list-output.js';

export const networkLsCommand: CommandModule<object, { format: string }> = {
  command: 'ls',
  aliases: ['list'],
  describe: 'List bridge networks and the environments on them',
  builder: (y) => withListFormat(y) as never,
  handler: async (a) => {
    printList(
      a.format,
      await berth.networkList(),
      ['NAME', 'SUBNET', 'GATEWAY', 'BRIDGE', 'MTU', 'ENVIRONMENTS'],
      (n) => [n.name, n.subnet, n.gateway, n.bridge, String(n.mtu), n.environments.join(',')],
    );
  },
};
