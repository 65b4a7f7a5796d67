/** `berth network create|ls|inspect|rm`: bridge networks (root). */
import type { CommandModule } from 'yargs';
import * as berth from '../../index.js';
import { table } from '../output.js';

const create: CommandModule<object, { name: string; subnet?: string; mtu?: number }> = {
  command: 'create <name>',
  describe: 'Create a bridge network: a bridge, a subnet, NAT out through its own nftables table (root)',
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

const ls: CommandModule<object, { format: string }> = {
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

const inspect: CommandModule<object, { names: string[] }> = {
  command: 'inspect <names..>',
  describe: "Show networks as JSON: subnet, bridge, and every environment's address and ports",
  builder: (y) => y.positional('names', { type: 'string', array: true }) as never,
  handler: async (a) => {
    const out = [];
    for (const n of a.names) out.push(await berth.networkInspect(n));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  },
};

const rm: CommandModule<object, { names: string[] }> = {
  command: 'rm <names..>',
  describe: 'Remove networks (refused while an environment uses one)',
  builder: (y) => y.positional('names', { type: 'string', array: true }) as never,
  handler: async (a) => {
    for (const n of a.names) {
      await berth.networkRemove(n);
      process.stdout.write(`${n}\n`);
    }
  },
};

export const networkCommand: CommandModule = {
  command: 'network <command>',
  describe: 'Manage bridge networks (environments on one reach each other by name)',
  builder: (y) =>
    y
      .command(create as CommandModule)
      .command(ls as CommandModule)
      .command(inspect as CommandModule)
      .command(rm as CommandModule)
      .demandCommand(1, 'name a network command'),
  handler: () => undefined,
};
