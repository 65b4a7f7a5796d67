/** `berth network create NAME`: a bridge network. */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';

export const networkCreateCommand: CommandModule<object, { name: string; subnet?: string; mtu?: number }> = {
  command: 'create <name>',
  describe:
    'Create a bridge network: a bridge, a subnet, NAT out through its own nftables table, a DNS resolver for its members while it has any (root)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'network name (use it with run --network NAME)' })
      .option('subnet', {
        type: 'string',
        requiresArg: true,
        describe: 'IPv4 CIDR, e.g. 10.90.0.0/24 (default: a free /24 of 10.89.0.0/16)',
      })
      .option('mtu', {
        type: 'number',
        requiresArg: true,
        describe: 'MTU of the bridge and every interface on it, 1280-65520 (default 65520; uml guests stay at 1500)',
      }) as never,
  handler: async (a) => {
    const n = await berth.networkCreate(a.name, {
      ...(a.subnet ? { subnet: a.subnet } : {}),
      ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
    });
    process.stdout.write(`${n.name}\n`);
  },
};
